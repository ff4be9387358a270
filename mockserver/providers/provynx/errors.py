"""Provynx refusals, each with the status and message Provynx answers it with. Every text is
[assumed]: the public page shows none. The backend raises them; the request pipeline answers them."""
from __future__ import annotations

from decimal import Decimal

from mockserver.providers.contract import NotReceiving, ProviderError


class ProvynxError(ProviderError):
    """Provynx's refusals. Those of the request's input (a server, country or operator that is
    not there) say refuses_input: the Idempotency-Key guard frees the key rather than keep the
    refusal as the key's answer, and the corrected retry runs."""


class UnknownServer(ProvynxError):
    status, refuses_input = 400, True

    def __init__(self, servers: list[int]):
        super().__init__(f"Invalid request: server: Must be one of: {', '.join(map(str, servers))}.")


class UnknownCountry(ProvynxError):
    status, refuses_input = 400, True

    def __init__(self, country: str | None, server: int):
        super().__init__(f"Unknown country '{country}' on server {server}")


class UnknownOperator(ProvynxError):
    status, refuses_input = 400, True

    def __init__(self, operator: str, country: str, server: int):
        super().__init__(f"Unknown operator '{operator}' for country '{country}' on server {server}")


class PricingNotFound(ProvynxError):
    status = 404

    def __init__(self, service: str, server: int):
        super().__init__(f"Pricing not found for service '{service}' on server {server}")


class ProductUnavailable(ProvynxError):
    status, refuses_input = 400, True

    def __init__(self, service: str, operator: str):
        super().__init__(f"Product unavailable: '{service}' is not offered on operator '{operator}'")


class OutOfStock(ProvynxError):
    status, message = 503, "SMS numbers are temporarily unavailable"


class InsufficientFunds(ProvynxError):
    status = 402

    def __init__(self, price: Decimal, balance: Decimal):
        super().__init__(f"Insufficient wallet balance: the number costs ${price:.2f}, the wallet holds ${balance:.2f}")


class NumberNotFound(ProvynxError):
    status, message = 404, "Number not found"


class GlobalCancelRefused(ProvynxError):
    status, message = 400, "Global numbers cannot be canceled via the API"


class CancelNotAllowed(ProvynxError):
    status = 400

    def __init__(self, status: str):
        super().__init__(f"Number cannot be canceled (status: {status})")


class IdempotencyMismatch(ProvynxError):
    status, message = 400, "Idempotency-Key was already used with a different request"


class IdempotencyKeyTooLong(ProvynxError):
    status = 400

    def __init__(self, most: int):
        super().__init__(f"Idempotency-Key must be at most {most} characters")


class IdempotencyInFlight(ProvynxError):
    status, message = 409, "Purchase already in progress (retry with same idempotency key)"


class NumberNotReceiving(NotReceiving):
    """An SMS pushed (control API) to a number that no longer takes one."""
