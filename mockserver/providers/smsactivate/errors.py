"""sms-activate refusals: each a token of the protocol (reference section 2). The status here is
what a dialect that uses HTTP statuses would answer; the dialect decides (model.Dialect.refusal),
so vanilla answers every one of them with HTTP 200 and the bare token."""
from __future__ import annotations

from mockserver.providers.contract import NotReceiving, ProviderError


class SmsActivateError(ProviderError):
    pass


class BadKey(SmsActivateError):
    status, message = 401, "BAD_KEY"


class BadAction(SmsActivateError):
    status, message = 400, "BAD_ACTION"


class NoAction(SmsActivateError):
    status, message = 400, "NO_ACTION"


class BadService(SmsActivateError):
    status, message = 400, "BAD_SERVICE"


class NoNumbers(SmsActivateError):
    status, message = 200, "NO_NUMBERS"


class NoBalance(SmsActivateError):
    status, message = 402, "NO_BALANCE"


class WrongMaxPrice(SmsActivateError):
    status = 400

    def __init__(self, minimum: str):
        super().__init__(f"WRONG_MAX_PRICE:{minimum}")


class WrongExceptionPhone(SmsActivateError):
    status, message = 400, "WRONG_EXCEPTION_PHONE"


class NoActivation(SmsActivateError):
    status, message = 404, "NO_ACTIVATION"


class BadStatus(SmsActivateError):
    status, message = 400, "BAD_STATUS"


class EarlyCancelDenied(SmsActivateError):
    status, message = 403, "EARLY_CANCEL_DENIED"


class OperatorsNotFound(SmsActivateError):
    status, message = 404, "OPERATORS_NOT_FOUND"


class ErrorSql(SmsActivateError):
    """A parameter's value the server cannot use (the protocol's "invalid parameter value")."""
    status, message = 400, "ERROR_SQL"
    refuses_input = True


class UnknownDialect(SmsActivateError):
    """A path that names no dialect of the scenario (/<dialect>/stubs/handler_api.php)."""
    status, message = 404, "BAD_ACTION"


class ActivationNotReceiving(NotReceiving):
    """An SMS pushed (control API) to an activation that takes none now."""
