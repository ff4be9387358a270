"""Every PVADeals default in one place: the documented values, and SPEC's [assumed] ones where the
documentation is silent. The scenario section's defaults and the model's are these, so a change
here changes both."""
from __future__ import annotations

from decimal import Decimal

from ...engine.ratelimit import Rule

LIFETIME_MS = 20 * 60_000                 # a purchase waits 20 minutes for its SMS
CREDITS = Decimal("100.00")               # an account's starting balance, as the documented example
RATE_LIMITS = (Rule(limit=100, window_ms=60_000),)     # 100 requests per rolling minute per key
SERVICES_FIXTURE = "pvadeals/services.yaml"            # the catalog: 30 real services

FLAG_ALLOWED = True                       # allowFlag on a fresh purchase
FLAG_REFUND = True                        # [assumed] flagged before the SMS: refunded
REUSE_ALLOWED = True                      # allowReuse once the SMS arrived
REUSE_PRICE = Decimal("0")                # [assumed]
REUSE_WINDOW_MS = 20 * 60_000             # [assumed] reuse stays open this long after the SMS
REUSE_LIFETIME_MS = 20 * 60_000           # [assumed] a reused number waits this long for its SMS

PAGE_SIZE = 20                            # GET /requests without first
MAX_PAGE_SIZE = 100                       # [assumed]
