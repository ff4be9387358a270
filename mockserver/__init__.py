"""mockserver: an offline sandbox of SMS-verification provider APIs (PVADeals v3)."""

__version__ = "0.1.0"
