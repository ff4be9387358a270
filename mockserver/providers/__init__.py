"""One package per emulated provider: backend.py (state and rules), schemas.py (wire shapes),
views.py (routes)."""
