"""PVADeals refusals, each with the status and message PVADeals answers it with ([assumed] where
SPEC marks the text so). The backend raises them; the request pipeline answers them."""
from __future__ import annotations

from mockserver.providers.contract import NotReceiving, ProviderError


class PvaDealsError(ProviderError):
    pass


class ServiceNotFound(PvaDealsError):
    status, message = 404, "Service not found"


class RequestNotFound(PvaDealsError):
    status, message = 404, "Service request not found"


class FlagNotAllowed(PvaDealsError):
    status, message = 422, "Flag not allowed for this request"


class ReuseNotAllowed(PvaDealsError):
    status, message = 422, "Reuse not allowed for this request"


class InsufficientBalance(PvaDealsError):
    status, message = 422, "Insufficient balance"


class InvalidCursor(PvaDealsError):
    status, message = 400, "Invalid cursor"


class AfterAndBefore(PvaDealsError):
    status, message = 400, "Use either after or before, not both"


class AreaCodeNotAvailable(PvaDealsError):
    status, message = 422, "Area code not available"          # [assumed] the collection names the 422 only


class InvalidDuration(PvaDealsError):
    status, message = 400, "duration must be 3, 7, 14 or 30 days, or 28 for ALL_SERVICES"   # [assumed]


class RentalNotOffered(PvaDealsError):
    status, message = 422, "LTR not available for this service"     # [assumed]


class NotARental(PvaDealsError):
    status, message = 422, "Auto-renew is only available for LTR numbers"     # [assumed]


class RentalEnded(PvaDealsError):
    status, message = 422, "This rental has ended"   # [assumed]


class FirstAndLast(PvaDealsError):
    status, message = 400, "Use either first or last, not both"    # [assumed]


class RequestNotReceiving(NotReceiving):
    """An SMS pushed (control API) to a request that no longer takes messages."""
