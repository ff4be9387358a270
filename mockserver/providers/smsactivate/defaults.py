"""Every default of the sms-activate protocol in one place: the values its reference establishes,
and the [inferred] ones where no source says them outright. The scenario section (section.py)
declares its fields with these defaults."""
from __future__ import annotations

from decimal import Decimal

from mockserver.engine.ratelimit import Rule

PATH = "/stubs/handler_api.php"           # the one URL of every provider of the family
ROUTE_PATH = "/handler_api.php"           # the same, below the provider's prefix (/stubs)
BALANCE = Decimal("100.00")               # an account's starting balance
LIFETIME_MS = 20 * 60_000                 # an activation waits 20 minutes for its SMS
# Longer lifetimes of some services, as the aiosmsactivate model hard-codes them.
SERVICE_LIFETIMES_MS = {"ya": 40 * 60_000, "ft": 60 * 60_000, "ig": 60 * 60_000, "cy": 60 * 60_000,
                        "wx": 60 * 60_000}
EARLY_CANCEL_MS = 2 * 60_000              # cancel refused this long after purchase (EARLY_CANCEL_DENIED)
CANCEL_REFUND = True                      # a cancel without an SMS gives the cost back
# [inferred] no figure is published (getsms.online: 50 requests/s per IP); per key here.
RATE_LIMITS = (Rule(limit=50, window_ms=1000),)
WEBHOOK_RETRIES = 0                       # sms.online: no retry if the receiver does not answer 200
CURRENCY = 643                            # [inferred] ISO 4217 numeric of the balance: roubles
DEFAULT_COUNTRY = 0                       # Russia when `country` is omitted (GrizzlySMS documents it)
CAN_GET_ANOTHER_SMS = True                # setStatus 3 allowed once a code came
# [inferred] What getStatus answers once finished: the last code (documented as open).
FINISHED_SHOWS_CODE = True
# [inferred] An activation that got its code and was never finished ends at its end time as finished.
SERVICES_FIXTURE = "smsactivate/services.yaml"
COUNTRIES_FIXTURE = "smsactivate/countries.yaml"
PRICES_FIXTURE = "smsactivate/prices.yaml"
ACTIVATION_ID_START = 1_000_000_000       # [inferred] activation ids are 9-10 digit integers
VERIFICATION_TYPE_SMS = 0                 # [inferred] getStatusV2's verificationType for an SMS
PAGE_SIZE = 50                            # [inferred] getActiveActivations / getHistory without limit
MAX_PAGE_SIZE = 100                       # [inferred]
MAX_EXCEPTION_PREFIXES = 20               # [inferred] phoneException prefixes taken
NUMBER_TRIES = 50                         # numbers drawn to avoid phoneException's prefixes before NO_NUMBERS

DIALECT = "vanilla"                       # what /stubs/handler_api.php speaks

# The dialects every scenario knows (a scenario's `dialects:` may change them or add more). Each
# says how errors are answered (text tokens or HeroSMS's {"title","details"}), with which HTTP
# status per token (absent: 200), what renames a token, which setStatus codes cancel, whether
# setStatus 1 is taken, how long cancel is refused, which extra actions it has and the shape of
# its lists. Sources: the reference's section 7.
HEROSMS_ACTIONS = ("finishActivation", "cancelActivation", "getAllSms")
DIALECTS: dict[str, dict] = {
    "vanilla": {"description": "sms-activate: every answer HTTP 200, errors as text tokens"},
    "herosms": {
        "description": "HeroSMS: errors as 4xx {\"title\",\"details\"} (NO_NUMBERS stays a 200 token), "
                       "finishActivation/cancelActivation answer 204, no setStatus 1",
        "errors": "json",
        "statuses": {"BAD_KEY": 401, "NO_KEY": 401, "BAD_ACTION": 422, "NO_ACTION": 422, "NOT_FOUND": 404,
                     "NO_BALANCE": 402, "BAD_STATUS": 400, "BAD_SERVICE": 400, "ERROR_SQL": 400,
                     "EARLY_CANCEL_DENIED": 409, "WRONG_MAX_PRICE": 400, "WRONG_EXCEPTION_PHONE": 400,
                     "BANNED": 403, "SERVER_ERROR": 500},
        "tokens": {"NO_ACTIVATION": "NOT_FOUND"},
        "details": {"BAD_KEY": "Unauthorized", "NOT_FOUND": "Activation Not Found", "BAD_ACTION": "Method Not Found",
                    "NO_ACTION": "Method Not Found", "NO_BALANCE": "Insufficient funds",
                    "BAD_STATUS": "Unsupported status", "BAD_SERVICE": "Service Not Found",
                    "EARLY_CANCEL_DENIED": "Cancellation is not available yet", "ERROR_SQL": "Bad Request"},
        "ready": False,
        "actions": list(HEROSMS_ACTIONS),
        "active_list": "data",
        "currency": 840,
    },
    "smshub": {"description": "SMSHub: WRONG_SERVICE for an unknown service; currency accepted and ignored",
               "tokens": {"BAD_SERVICE": "WRONG_SERVICE"}},
    "grizzlysms": {"description": "GrizzlySMS: setStatus -1 cancels as 8 does", "cancel": [8, -1]},
    "privatesms": {
        "description": "privatesms.vip: HTTP statuses with text tokens; cancel refused in the first minute; "
                       "getPrices as service -> country -> price",
        "statuses": {"BAD_KEY": 401, "NO_KEY": 401, "BAD_ACTION": 400, "NO_ACTION": 400, "BANNED": 403,
                     "NO_ACTIVATION": 404, "BAD_STATUS": 400, "EARLY_CANCEL_DENIED": 403, "SERVER_ERROR": 500,
                     "ERROR_SQL": 500},
        "early_cancel": "1m",
        "prices": "service_country",
    },
    "smsonline": {"description": "sms-online.pro: as vanilla, without setStatus -1 (2-minute cancel rule)"},
}
