"""Every PVADeals default in one place: the documented values, and SPEC's [assumed] ones where the
documentation is silent. The scenario section's defaults and the model's are these, so a change
here changes both."""
from __future__ import annotations

from decimal import Decimal

from mockserver.engine.ratelimit import Rule

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

# Which source the answers follow where PVADeals' doc page and its own API collection differ
# (SPEC 1b): "documented", "collection", or "both" (the union, so clients of either work).
SHAPES = ("documented", "collection", "both")
SHAPE = "both"

# Area codes a purchase may ask for ("" or none: any). Real geographic US codes; codes outside
# the list (Alaska's 907, Hawaii's 808, a new overlay...) answer 422, so a client's handling of
# an unavailable area code can be tried. A service may offer its own list.
AREA_CODES = ("313", "212", "213", "214", "215", "305", "312", "323", "347", "404", "415", "469", "512", "602",
              "617", "619", "646", "702", "713", "718", "786", "832", "917", "929", "206", "303", "503", "704",
              "720", "801", "813")

# Long-term rentals (POST /purchase-ltr): the durations a service is rented for, in days, and the
# one number that takes SMS from any service.
LTR_DURATIONS = (3, 7, 14, 30)
ALL_SERVICES = "ALL_SERVICES"
ALL_SERVICES_DAYS = 28
ALL_SERVICES_PRICE = Decimal("12.99")     # as the collection's example
ALL_SERVICES_SMS = "Your verification code is {code}."     # [assumed] no service of its own to word it
RENTAL_FLAG_REFUND = True                 # [assumed] a rental flagged before its first SMS: refunded
RENTAL_END_REFUND = False                 # [assumed] a rental that ends (not renewed) is not refunded
