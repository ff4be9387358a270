"""Provynx defaults that more than the scenario section uses: the documented values, and SPEC's
[assumed] ones (the public page shows few). A default only a scenario field has is declared with
the field (section.py)."""
from __future__ import annotations

from decimal import Decimal

from mockserver.engine.ratelimit import Rule

RATE_LIMITS = (Rule(limit=60, window_ms=60_000),)      # [assumed] 60 requests per 60 s per key
MAX_ACTIVE_KEYS = 10                      # documented: up to 10 active keys per account
BALANCE = Decimal("0")                    # a live wallet's starting balance, unless the scenario gives one

# Test keys (nsk_test_...): documented sandbox answers, no debits.
SANDBOX_POLLS = 2                         # the code appears on the second poll
SANDBOX_CODE = "123456"
SANDBOX_BALANCE = Decimal("100.00")

# The catalogs: one fixture file per server. A scenario may replace any of them or add servers;
# clients pick a server by its number (1 when they name none).
SERVER_FIXTURES = {1: "provynx/server1.yaml", 2: "provynx/server2.yaml", 3: "provynx/server3.yaml"}
DEFAULT_SERVER = 1
SERVICE_STOCK = 100                       # numbers in stock, when a catalog entry names none
US_NUMBER_FORMAT = "+1$##$######"         # E.164 with NANP area code and exchange: $ a digit 2-9
