"""The /_mock control API."""
