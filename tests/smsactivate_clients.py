"""Clients of the sms-activate protocol written as the published ones are (the protocol
reference, section 8): text tokens parsed exactly as smsactivate, aiosmsactivate, pysmshub and
simple-smshub-api parse them, HeroSMS's errors mapped by status as the herosms package maps
them, and the V2 JSON read through strict pydantic models with the field types those clients
declare. The tests drive a real server through them."""
from __future__ import annotations

import re
from datetime import datetime

import requests
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, field_validator

PATH = "/stubs/handler_api.php"


class ProtocolError(Exception):
    """A token the server answered instead of a result (vanilla: an HTTP 200 text)."""

    def __init__(self, token: str, status: int = 200):
        super().__init__(token)
        self.token, self.status = token, status


# The herosms package's exceptions, by the status they come with.
class HeroError(ProtocolError):
    pass


class BadRequest(HeroError): ...            # 400, 422
class Authentication(HeroError): ...        # 401
class InsufficientFunds(HeroError): ...     # 402
class Forbidden(HeroError): ...             # 403
class ActivationNotFound(HeroError): ...    # 404
class NoNumbersAvailable(HeroError): ...    # 404 with NO_NUMBERS, or the 200 token
class Conflict(HeroError): ...              # 409


_HERO = {400: BadRequest, 422: BadRequest, 401: Authentication, 402: InsufficientFunds, 403: Forbidden,
         404: ActivationNotFound, 409: Conflict}


class NumberV2(BaseModel):
    """getNumberV2 as aiosmsactivate's and herosms's models read it: phoneNumber and countryCode
    must be JSON strings, currency an int, activationTime in exactly YYYY-MM-DD HH:MM:SS."""
    model_config = ConfigDict(extra="allow")
    activationId: int                      # both clients coerce "635468024" to int
    phoneNumber: StrictStr
    activationCost: float
    currency: StrictInt
    countryCode: StrictStr
    countryPhoneCode: StrictInt
    canGetAnotherSms: StrictBool
    activationTime: datetime
    activationEndTime: datetime
    activationOperator: StrictStr

    @field_validator("activationTime", "activationEndTime", mode="before")
    @classmethod
    def strptime(cls, value):
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


class SmsV2(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dateTime: StrictStr
    code: StrictStr | None
    text: StrictStr


class StatusV2(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verificationType: StrictInt
    sms: SmsV2 | None
    call: dict | None


class Client:
    """One provider's client: ``base`` is the server URL and the dialect's path prefix."""

    def __init__(self, base: str, key: str, *, hero: bool = False, http_statuses: bool = False,
                 method: str = "GET"):
        self.base, self.key, self.hero, self.http_statuses, self.method = base, key, hero, http_statuses, method
        self.http = requests.Session()

    def raw(self, action: str, **params) -> requests.Response:
        params = {"api_key": self.key, "action": action, **{k: str(v) for k, v in params.items()}}
        if self.method == "POST":      # as a form body, which PHP's $_REQUEST reads too
            return self.http.post(self.base + PATH, data=params, timeout=30)
        return self.http.get(self.base + PATH, params=params, timeout=30)

    def text(self, action: str, **params) -> str:
        """A text answer, or the client's exception for an error."""
        response = self.raw(action, **params)
        if response.status_code >= 400:
            if self.hero:
                body = response.json()
                assert set(body) == {"title", "details"}, body
                kind = NoNumbersAvailable if "NO_NUMBERS" in body["title"] else _HERO.get(response.status_code, HeroError)
                raise kind(body["title"], response.status_code)
            if self.http_statuses:
                raise ProtocolError(response.text, response.status_code)
            # pysmshub and aiosmsactivate: any 4xx is a failure of the connection, not a token
            raise AssertionError(f"a vanilla client cannot read HTTP {response.status_code}: {response.text!r}")
        assert response.headers["Content-Type"].startswith("text/plain"), response.headers
        text = response.text
        assert text == text.strip(), repr(text)          # whole-string comparisons: no newline
        return text

    def json(self, action: str, **params) -> dict:
        response = self.raw(action, **params)
        if response.status_code >= 400:
            self.text(action, **params)                  # raises as the client does
        if response.headers["Content-Type"].startswith("text/plain"):
            raise ProtocolError(response.text, response.status_code)
        body = response.json()
        assert isinstance(body, dict), body              # aiosmsactivate calls .get() on every answer
        if body.get("status") == "error":
            raise ProtocolError((body.get("message") or body.get("error")).split(":")[0])
        return body

    # -- the published clients' methods ----------------------------------------------------

    def balance(self) -> float:
        text = self.text("getBalance")
        if not text.startswith("ACCESS_BALANCE:"):
            raise ProtocolError(text)
        assert re.search(r"\d+\.\d+", text), text        # pysmshub reads the first \d+\.\d+
        return float(text[15:])                          # smsactivate takes text[15:]

    def number(self, service: str, country: int | None = None, **more) -> tuple[int, str]:
        params = {"service": service, **more}
        if country is not None:
            params["country"] = country
        text = self.text("getNumber", **params)
        parts = text.split(":")
        if parts[0] != "ACCESS_NUMBER":
            if parts[0] == "NO_NUMBERS" and self.hero:
                raise NoNumbersAvailable(text)
            raise ProtocolError(text)
        assert len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit(), text
        return int(parts[1]), parts[2]

    def number_v2(self, service: str, country: int | None = None) -> NumberV2:
        params = {"service": service, **({} if country is None else {"country": country})}
        response = self.raw("getNumberV2", **params)
        if response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain"):
            raise (NoNumbersAvailable if self.hero and response.text == "NO_NUMBERS" else ProtocolError)(response.text)
        return NumberV2.model_validate(self.json("getNumberV2", **params))

    def status(self, activation: int) -> tuple[str, str | None]:
        """(state, code) as pysmshub returns them."""
        text = self.text("getStatus", id=activation)
        if text == "STATUS_WAIT_CODE":
            return "WAIT", None
        if text == "STATUS_CANCEL":
            return "CANCEL", None
        if text.startswith("STATUS_OK:"):
            token, code = text.split(":")                # simple-smshub-api unpacks exactly two
            return "OK", code
        if text.startswith("STATUS_WAIT_RETRY:"):
            return "RETRY", text.split(":")[1]
        raise ProtocolError(text)

    def status_v2(self, activation: int) -> StatusV2:
        return StatusV2.model_validate(self.json("getStatusV2", id=activation))

    def set_status(self, activation: int, status: int) -> str:
        text = self.text("setStatus", id=activation, status=status)
        if text not in ("ACCESS_READY", "ACCESS_RETRY_GET", "ACCESS_ACTIVATION", "ACCESS_CANCEL"):
            raise ProtocolError(text)
        return text

    def finish(self, activation: int) -> None:
        """HeroSMS's finishActivation: 204 and nothing else."""
        response = self.raw("finishActivation", id=activation)
        if response.status_code != 204:
            self.text("finishActivation", id=activation)
            raise AssertionError(response.text)
        assert response.content == b""

    def cancel(self, activation: int) -> None:
        response = self.raw("cancelActivation", id=activation)
        if response.status_code != 204:
            self.text("cancelActivation", id=activation)
            raise AssertionError(response.text)
        assert response.content == b""
