"""sms-activate state and rules: accounts, activations and their lifecycle on the virtual clock.

Plain Python under the engine lock: no Flask, no HTTP codes, no JSON. Every operation takes the
virtual instant it happens at, so timeline events that run late still act at their time.

Lifecycle (reference section 4.2): WAIT_CODE -> CODE (an SMS) -> WAIT_RETRY (setStatus 3) ->
CODE (the next SMS); CODE or WAIT_RETRY -> FINISHED (setStatus 6); WAIT_CODE -> CANCELLED
(setStatus 8, after the early-cancel window; refunded) or EXPIRED (the lifetime ran out with no
SMS; refunded). An activation that had its code and is never finished ends FINISHED at its end
time [inferred]. setStatus 3 starts a new "generation": the behavior's SMS are planned again from
then, and events of an earlier generation find it changed and do nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial

from mockserver.engine.clock import format_iso
from mockserver.engine.ids import Codes, PhoneNumbers
from mockserver.engine.ratelimit import RateLimiter
from mockserver.engine.timeline import Event, Timeline
from mockserver.providers.contract import Delivered
from mockserver.providers.sms import code_in, code_shape, sms_text
from mockserver.providers.smsactivate import defaults
from mockserver.providers.smsactivate.errors import (
    ActivationNotReceiving,
    BadService,
    BadStatus,
    EarlyCancelDenied,
    ErrorSql,
    NoActivation,
    NoBalance,
    NoNumbers,
    OperatorsNotFound,
    UnknownDialect,
    WrongExceptionPhone,
    WrongMaxPrice,
)
from mockserver.providers.smsactivate.section import (
    Dialect,
    SaBehavior,
    SaCountry,
    SaPrice,
    SaService,
    SmsActivateScenario,
)
from mockserver.providers.tenancy import KeyedAccounts, Tenant
from mockserver.settings import DEFAULT_LIMITS

WAIT_CODE, CODE, WAIT_RETRY, FINISHED, CANCELLED, EXPIRED = (
    "WAIT_CODE", "CODE", "WAIT_RETRY", "FINISHED", "CANCELLED", "EXPIRED")
STATUSES = (WAIT_CODE, CODE, WAIT_RETRY, FINISHED, CANCELLED, EXPIRED)
ENDED = (FINISHED, CANCELLED, EXPIRED)
READY, RETRY, FINISH, CANCEL = 1, 3, 6, 8
_PREFIX = re.compile(r"^[0-9]{1,15}$")


@dataclass
class Sms:
    text: str
    code: str | None
    at_ms: int

    @property
    def shown(self) -> str:
        """What getStatus shows after STATUS_OK: the code, else the text (never with a ':',
        which every client splits on)."""
        return (self.code or self.text).replace(":", " ")


@dataclass
class Activation:
    id: int
    account: Account = field(repr=False)
    service: SaService
    country: SaCountry
    operator: str
    behavior: SaBehavior
    number: str                        # international, without "+", as the protocol writes it
    cost: Decimal
    created_ms: int
    end_ms: int
    status: str = WAIT_CODE
    ready: bool = False                # setStatus 1 was sent
    generation: int = 0
    polls: int = 0                     # getStatus/getStatusV2 calls in this generation
    retry_code: str | None = None      # the code shown by STATUS_WAIT_RETRY
    refunded: bool = False
    ended_ms: int | None = None
    messages: list[Sms] = field(default_factory=list)
    sms_events: list[Event] = field(default_factory=list, repr=False, compare=False)
    end_event: Event | None = field(default=None, repr=False, compare=False)

    @property
    def tenant(self) -> Tenant:
        return self.account.tenant

    @property
    def last(self) -> Sms | None:
        return self.messages[-1] if self.messages else None

    def status_token(self) -> str:
        """getStatus's answer."""
        if self.status == WAIT_CODE:
            return "STATUS_WAIT_CODE"
        if self.status == WAIT_RETRY:
            return f"STATUS_WAIT_RETRY:{self.retry_code}"
        last = self.last
        if last is not None and (self.status == CODE or (self.status == FINISHED and defaults.FINISHED_SHOWS_CODE)):
            return f"STATUS_OK:{last.shown}"
        return "STATUS_CANCEL"


@dataclass(eq=False)
class Account:
    """An account: one key, its balance and activations. It is also the caller of a request."""
    key: str
    balance: Decimal
    webhook: str | None
    tenant: Tenant
    activations: dict[int, Activation] = field(default_factory=dict)


# (account, activation, the SMS) -> None: an incoming SMS, for the account's webhook
Notify = Callable[[Account, Activation, Sms], None]


class SmsActivate(KeyedAccounts[Account]):
    opening = "balance"

    def __init__(self, scenario: SmsActivateScenario, *, name: str, timeline: Timeline, phones: PhoneNumbers,
                 codes: Codes, notify: Notify, max_tenants: int = DEFAULT_LIMITS.max_tenants):
        self.scenario = scenario
        self.name = name
        self._timeline = timeline
        self._phones = phones
        self._codes = codes
        self._notify = notify
        self._max_tenants = max_tenants
        self.limiter = RateLimiter(list(scenario.rate_limits))
        self.services = {service.code: service for service in scenario.services}
        self.countries = {country.id: country for country in scenario.countries}
        self.prices: dict[tuple[int, str], SaPrice] = {(p.country, p.service): p for p in scenario.prices}
        self.next_id = defaults.ACTIVATION_ID_START
        self.accounts: dict[str, Account] = {}
        self._open_declared()

    def _open(self, key: str, balance: Decimal, webhook: str | None) -> Account:
        account = self.accounts[key] = Account(key, balance, webhook, Tenant(self.name, key))
        return account

    # -- access ---------------------------------------------------------------------------

    def set_webhook(self, tenant: Tenant, url: str | None, secret: str | None) -> tuple[str | None, str | None]:
        """The protocol signs nothing: a secret is not kept."""
        self.accounts[tenant.account].webhook = url
        return url, None

    def dialect(self, name: str | None) -> Dialect:
        """A dialect by the name a path gives (None: the scenario's default)."""
        found = self.scenario.dialects.get(self.scenario.dialect if name is None else name)
        if found is None:
            raise UnknownDialect()
        return found

    # -- catalogue --------------------------------------------------------------------------

    def country(self, value: str | None) -> SaCountry | None:
        """The country a `country` parameter names (omitted: the default one), or None."""
        if value is None or value == "":
            return self.countries.get(self.scenario.default_country)
        try:
            return self.countries.get(int(value))
        except ValueError:
            return None

    def service(self, code: str | None) -> SaService:
        found = self.services.get(code or "")
        if found is None:
            raise BadService()
        return found

    def offers(self, country: int | None = None, service: str | None = None) -> list[SaPrice]:
        """Catalogue entries, optionally of one country and/or one service, in catalogue order."""
        return [p for p in self.scenario.prices
                if (country is None or p.country == country) and (service is None or p.service == service)]

    def operators(self, value: str | None) -> dict[str, list[str]]:
        if value is None or value == "":
            return {str(c.id): list(c.operators) for c in self.countries.values()}
        country = self.country(value)
        if country is None:
            raise OperatorsNotFound()
        return {str(country.id): list(country.operators)}

    # -- ordering -------------------------------------------------------------------------

    def buy(self, account: Account, params: Mapping[str, str | None], now_ms: int) -> Activation:
        """getNumber / getNumberV2: the checks in the order the protocol's errors suggest
        (service, stock, price cap, balance), then the debit."""
        service = self.service(params.get("service"))
        country = self.country(params.get("country"))
        if country is None:
            raise NoNumbers()
        offer = self.prices.get((country.id, service.code))
        if offer is None or offer.count <= 0:
            raise NoNumbers()
        operator = self._operator(country, params.get("operator"))
        prefixes = self._exceptions(params.get("phoneException"))
        max_price = params.get("maxPrice") or params.get("max_price")
        if max_price:
            try:
                cap = Decimal(max_price)
            except InvalidOperation:
                raise ErrorSql() from None
            if not cap.is_finite() or cap < offer.cost:
                raise WrongMaxPrice(f"{offer.cost:.2f}")
        if offer.cost > account.balance:
            raise NoBalance()
        number = self._number(country, prefixes)
        account.balance -= offer.cost
        activation = Activation(
            id=self.next_id, account=account, service=service, country=country, operator=operator,
            behavior=self.scenario.behavior_for(service, country, operator, number), number=number,
            cost=offer.cost, created_ms=now_ms, end_ms=now_ms + self.scenario.lifetime_of(service))
        self.next_id += 1
        account.activations[activation.id] = activation
        self._schedule_generation(activation, now_ms)
        activation.end_event = self._timeline.schedule(
            activation.end_ms, activation.tenant, partial(self._end, activation),
            label=f"{self.name} {activation.id} end time")
        return activation

    @staticmethod
    def _operator(country: SaCountry, wanted: str | None) -> str:
        if not wanted or wanted == "any":
            return country.operators[0] if country.operators else "any"
        for name in wanted.split(","):
            if name in country.operators:
                return name
        raise NoNumbers()

    @staticmethod
    def _exceptions(value: str | None) -> tuple[str, ...]:
        if not value:
            return ()
        prefixes = tuple(part.strip() for part in value.split(","))
        if len(prefixes) > defaults.MAX_EXCEPTION_PREFIXES or not all(_PREFIX.match(p) for p in prefixes):
            raise WrongExceptionPhone()
        return prefixes

    def _number(self, country: SaCountry, prefixes: tuple[str, ...]) -> str:
        for _ in range(defaults.NUMBER_TRIES):
            number = self._phones.like(country.number).lstrip("+")
            if not prefixes or not number.startswith(prefixes):
                return number
        raise NoNumbers()

    # -- activation control -----------------------------------------------------------------

    def activation(self, account: Account, value: str | None) -> Activation:
        try:
            found = account.activations.get(int(value or ""))
        except ValueError:
            found = None
        if found is None:
            raise NoActivation()
        return found

    def poll(self, account: Account, value: str | None, now_ms: int) -> Activation:
        """getStatus / getStatusV2: SMS planned for this poll arrive first."""
        activation = self.activation(account, value)
        activation.polls += 1
        for plan in activation.behavior.sms:
            if plan.on_poll == activation.polls and self.takes_sms(activation, now_ms):
                self.receive_sms(activation, now_ms, template=plan.text)
        return activation

    def set_status(self, account: Account, value: str | None, status: str | None, dialect: Dialect,
                   now_ms: int) -> str:
        """setStatus: the token its code answers, or a refusal (BAD_STATUS for a code or a
        transition the state machine does not take)."""
        activation = self.activation(account, value)
        try:
            code = int(status or "")
        except ValueError:
            raise BadStatus() from None
        if code in dialect.cancel:
            self.cancel(activation, dialect, now_ms)
            return "ACCESS_CANCEL"
        if code == READY and dialect.ready:
            if activation.status != WAIT_CODE:
                raise BadStatus()
            activation.ready = True
            return "ACCESS_READY"
        if code == RETRY:
            self.retry(activation, now_ms)
            return "ACCESS_RETRY_GET"
        if code == FINISH:
            self.finish(activation, now_ms)
            return "ACCESS_ACTIVATION"
        raise BadStatus()

    def cancel(self, activation: Activation, dialect: Dialect, now_ms: int) -> None:
        if activation.status != WAIT_CODE:
            raise BadStatus()
        if now_ms - activation.created_ms < self.scenario.early_cancel_of(dialect):
            raise EarlyCancelDenied()
        self._close(activation, CANCELLED, now_ms, refund=activation.behavior.cancel.refund)

    def finish(self, activation: Activation, now_ms: int) -> None:
        if activation.status not in (CODE, WAIT_RETRY):
            raise BadStatus()
        self._close(activation, FINISHED, now_ms, refund=False)

    def retry(self, activation: Activation, now_ms: int) -> None:
        """setStatus 3: another SMS, free. Taken again while waiting (aiosmsactivate sends it
        straight after the first code)."""
        if activation.status == WAIT_RETRY:
            return
        if activation.status != CODE or not activation.behavior.another_sms.allowed or now_ms >= activation.end_ms:
            raise BadStatus()
        activation.status = WAIT_RETRY
        activation.retry_code = activation.last.shown if activation.last else ""
        activation.generation += 1
        activation.polls = 0
        self._timeline.cancel(activation.sms_events)
        activation.sms_events = []
        self._schedule_generation(activation, now_ms)

    def _close(self, activation: Activation, status: str, now_ms: int, *, refund: bool) -> None:
        activation.status = status
        activation.ended_ms = now_ms
        if refund:
            activation.account.balance += activation.cost
            activation.refunded = True
        self._timeline.cancel([*activation.sms_events, activation.end_event])
        activation.sms_events, activation.end_event = [], None

    def active(self, account: Account) -> list[Activation]:
        return sorted((a for a in account.activations.values() if a.status not in ENDED), key=lambda a: a.id)

    def history(self, account: Account, start_ms: int | None, end_ms: int | None) -> list[Activation]:
        """Every activation, newest first, bought within [start, end]."""
        return sorted((a for a in account.activations.values()
                       if (start_ms is None or a.created_ms >= start_ms) and (end_ms is None or a.created_ms <= end_ms)),
                      key=lambda a: a.id, reverse=True)

    # -- SMS arrival ----------------------------------------------------------------------

    def find(self, *, target_id: str | None = None, number: str | None = None) -> Activation | None:
        """Any account's activation by id, or the newest one holding a number (control API;
        the number with or without its "+")."""
        digits = None if number is None else number.lstrip("+")
        candidates = [a for account in self.accounts.values() for a in account.activations.values()
                      if (target_id is not None and str(a.id) == target_id)
                      or (target_id is None and a.number == digits)]
        return max(candidates, key=lambda a: (a.created_ms, a.id)) if candidates else None

    def deliver_sms(self, activation: Activation, now_ms: int, text: str | None) -> Delivered:
        sms = self.receive_sms(activation, now_ms, text=text)
        return Delivered(self.name, str(activation.id), "+" + activation.number, activation.status, sms.text,
                         sms.code, now_ms)

    def receive_sms(self, activation: Activation, now_ms: int, text: str | None = None,
                    template: str | None = None) -> Sms:
        if not self.takes_sms(activation, now_ms):
            raise ActivationNotReceiving(
                f"activation {activation.id} does not take SMS now (status {activation.status}, "
                f"end time {format_iso(activation.end_ms)})")
        code: str | None
        if text is None:
            code = fresh = self._codes.new(*code_shape(activation))
            text = sms_text(activation, fresh, template)
        else:
            code = code_in(text)
        sms = Sms(text, code, now_ms)
        activation.messages.append(sms)
        activation.status = CODE
        activation.retry_code = None
        self._notify(activation.account, activation, sms)
        return sms

    @staticmethod
    def takes_sms(activation: Activation, now_ms: int) -> bool:
        return activation.status in (WAIT_CODE, CODE, WAIT_RETRY) and now_ms < activation.end_ms

    # -- scheduled events -----------------------------------------------------------------

    def _schedule_generation(self, activation: Activation, start_ms: int) -> None:
        generation = activation.generation
        for index, plan in enumerate(activation.behavior.sms):
            if plan.after_ms is not None and start_ms + plan.after_ms < activation.end_ms:
                activation.sms_events.append(self._timeline.schedule(
                    start_ms + plan.after_ms, activation.tenant,
                    partial(self._sms_due, activation, generation, plan.text),
                    label=f"{self.name} {activation.id} sms {index + 1}"))

    def _sms_due(self, activation: Activation, generation: int, template: str | None, at_ms: int) -> None:
        if activation.generation == generation and self.takes_sms(activation, at_ms):
            self.receive_sms(activation, at_ms, template=template)

    def _end(self, activation: Activation, at_ms: int) -> None:
        """The lifetime ran out: with no SMS, expired and refunded; with a code, finished."""
        if activation.status in ENDED:
            return
        if activation.status == WAIT_CODE:
            self._close(activation, EXPIRED, at_ms, refund=activation.behavior.timeout.refund)
        else:
            self._close(activation, FINISHED, at_ms, refund=False)
