"""PVADeals defaults that more than the scenario section uses: the documented values, and SPEC's
[assumed] ones where the documentation is silent. A default only a scenario field has is declared
with the field (section.py)."""
from __future__ import annotations

from decimal import Decimal

from mockserver.engine.ratelimit import Rule

CREDITS = Decimal("100.00")               # an account's starting balance, as the documented example
RATE_LIMITS = (Rule(limit=100, window_ms=60_000),)     # 100 requests per rolling minute per key
SERVICES_FIXTURE = "pvadeals/services.yaml"            # the catalog: 30 real services

PAGE_SIZE = 20                            # GET /requests without first
MAX_PAGE_SIZE = 100                       # [assumed]

# Which source the answers follow where PVADeals' doc page and its own API collection differ
# (SPEC 1b): "documented", "collection", or "both" (the union, so clients of either work; the default).
SHAPES = ("documented", "collection", "both")

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
