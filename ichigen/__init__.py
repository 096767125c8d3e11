"""ichigen."""
