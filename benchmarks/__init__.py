"""Benchmarks: how fast, how big, how close to the limit. Run by `oms bench`, never by tests."""
