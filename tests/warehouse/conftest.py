"""The warehouse tests use the session's `built_warehouse` (tests/conftest.py)."""
