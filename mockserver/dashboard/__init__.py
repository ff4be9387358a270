"""The dashboard: one page at /_mock/ to see and drive the sandbox in a browser."""
from mockserver.dashboard.views import PAGE_PATH, bp, fetched_by_the_page

__all__ = ["PAGE_PATH", "bp", "fetched_by_the_page"]
