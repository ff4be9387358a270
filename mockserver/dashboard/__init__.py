"""The dashboard: one page at /_mock/ to see and drive the sandbox in a browser."""
from .views import bp

__all__ = ["bp"]
