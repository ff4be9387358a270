"""Provynx state and rules: accounts with live and test keys, wallets, three server catalogs,
numbers and their codes.

Plain Python under the engine lock: no Flask, no HTTP codes, no JSON. Test keys (nsk_test_)
get the documented sandbox: no debits, a fixed balance, and a code that appears on a set poll.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from mockserver.engine.clock import format_iso
from mockserver.engine.idempotency import IdempotencyStore
from mockserver.engine.ids import Codes, PhoneNumbers, TokenIds
from mockserver.engine.ratelimit import RateLimiter, Rejection, Usage
from mockserver.engine.timeline import Event, Timeline
from mockserver.providers.contract import Delivered
from mockserver.providers.provynx.errors import (
    CancelNotAllowed,
    GlobalCancelRefused,
    InsufficientFunds,
    NumberNotFound,
    NumberNotReceiving,
    OutOfStock,
    PricingNotFound,
    ProductUnavailable,
    UnknownCountry,
    UnknownOperator,
    UnknownServer,
)
from mockserver.providers.provynx.section import (
    PnxBehavior,
    PnxCountry,
    PnxServer,
    PnxService,
    ProvynxScenario,
)
from mockserver.providers.sms import code_in, code_shape, sms_text
from mockserver.providers.tenancy import Tenant, TenantLimitReached
from mockserver.settings import DEFAULT_LIMITS

PENDING, RECEIVED, CANCELED, EXPIRED = "pending", "received", "canceled", "expired"
US, GLOBAL = "us", "global"


@dataclass(eq=False)
class Account:
    name: str
    balance: Decimal
    keys: frozenset[str]
    webhook_url: str | None
    webhook_secret: str
    tenant: Tenant
    numbers: dict[str, Number] = field(default_factory=dict)


def is_sandbox_key(key: str) -> bool:
    return key.startswith("nsk_test_")


@dataclass(frozen=True)
class Caller:
    """Who is asking: the account and whether the key is a sandbox (test) key."""
    account: Account
    key: str
    sandbox: bool

    @property
    def tenant(self) -> Tenant:
        return self.account.tenant

    @property
    def scope(self) -> str:
        """Whose Idempotency-Keys these are: an account's live and test keys keep theirs apart."""
        return f"{self.account.name}:{'test' if self.sandbox else 'live'}"


@dataclass
class Number:
    id: str
    account: Account = field(repr=False)
    sandbox: bool
    region: str
    country: str
    number: str
    service: PnxService
    operator: str
    server: int
    price: Decimal
    behavior: PnxBehavior
    created_ms: int
    expires_ms: int
    status: str = PENDING
    code: str | None = None
    sms: str | None = None
    polls: int = 0
    sms_at_ms: int | None = None       # when its (last) SMS came; the API does not say
    # Its timeline events that may still act, cancelled when they no longer can: SMS due (all of
    # them before its expiry, when it stops taking SMS), and its expiry, moot once not pending.
    sms_events: list[Event] = field(default_factory=list, repr=False, compare=False)
    expiry: Event | None = field(default=None, repr=False, compare=False)

    @property
    def tenant(self) -> Tenant:
        return self.account.tenant


@dataclass(frozen=True)
class Offer:
    """A service as a catalog lists it: with the numbers in stock."""
    service: PnxService
    available: int


@dataclass(frozen=True)
class Catalog:
    """One operator's view of a country on a server, with live stock."""
    server: int
    country: PnxCountry
    operator: str
    services: list[Offer]


# (account, number, virtual instant) -> None; called when a code arrives
Notify = Callable[[Account, Number, int], None]


class Provynx:
    def __init__(self, scenario: ProvynxScenario, *, name: str, timeline: Timeline, ids: TokenIds,
                 phones: PhoneNumbers, codes: Codes, notify: Notify, default_secret: Callable[[str], str],
                 max_tenants: int = DEFAULT_LIMITS.max_tenants):
        self.scenario = scenario
        self.name = name                   # the provider's, for its tenants
        self._timeline = timeline
        self.number_ids = ids
        self._phones = phones
        self._codes = codes
        self._notify = notify
        self.limiter = RateLimiter(list(scenario.rate_limits))
        self.idempotency = IdempotencyStore(scenario.idempotency_ttl_ms)
        self._default_secret = default_secret
        self._max_tenants = max_tenants
        self._revoked = frozenset(key for a in scenario.accounts for key in a.revoked_keys)
        self.accounts: dict[str, Account] = {}
        self.accounts_by_key: dict[str, Account] = {}
        for declared in scenario.accounts:
            assert declared.name is not None       # the section names every account it loads
            self._open(declared.name, declared.balance, declared.keys, declared.webhook.url, declared.webhook.secret)
        self.stock = dict(scenario.initial_stock)

    # -- access ---------------------------------------------------------------------------

    def authenticate(self, key: str | None, *, provision: bool = True) -> Caller | None:
        """Who a key belongs to. Revoked keys are among no account's keys, so they get None like
        unknown ones; an unknown key matching the tenant patterns gets a fresh one-key account
        (TenantLimitReached past the limit)."""
        if not key:
            return None
        account = self.accounts_by_key.get(key)
        tenants = self.scenario.tenants
        if account is None and provision and key not in self._revoked and tenants.admits(key):
            if len(self.accounts) - len(self.scenario.accounts) >= self._max_tenants:
                raise TenantLimitReached(self._max_tenants)
            account = self._open(key, tenants.balance, (key,), tenants.webhook.url, tenants.webhook.secret)
        return None if account is None else Caller(account, key, is_sandbox_key(key))

    def tenant_for_key(self, key: str, *, provision: bool = True) -> Tenant | None:
        caller = self.authenticate(key, provision=provision)
        return None if caller is None else caller.tenant

    def _open(self, name: str, balance: Decimal, keys, webhook_url: str | None, secret: str | None) -> Account:
        account = Account(name, balance, frozenset(keys), webhook_url, secret or self._default_secret(name),
                          Tenant(self.name, name))
        self.accounts[account.name] = account
        self.accounts_by_key.update({key: account for key in account.keys})
        return account

    def reset_tenant(self, tenant: Tenant) -> None:
        """Back to the scenario's account, or none if it was provisioned; its stock is not returned."""
        name = tenant.account
        old = self.accounts.pop(name, None)
        if old is not None:
            for key in old.keys:
                self.accounts_by_key.pop(key, None)
                self.limiter.forget(key)
        self.idempotency.forget(f"{name}:")
        declared = next((a for a in self.scenario.accounts if a.name == name), None)
        if declared is not None:
            assert declared.name is not None       # the section names every account it loads
            self._open(declared.name, declared.balance, declared.keys, declared.webhook.url, declared.webhook.secret)

    def admit(self, caller: Caller, ip: str, path: str, now_ms: int) -> Rejection | None:
        return self.limiter.check({"key": caller.key, "ip": ip}, path, now_ms)

    def rate_usage(self) -> list[Usage]:
        return self.limiter.usage()

    def set_webhook(self, tenant: Tenant, url: str | None, secret: str | None) -> tuple[str | None, str | None]:
        """Point an account at a receiver, and change its signing secret if given one."""
        account = self.accounts[tenant.account]
        if secret:
            account.webhook_secret = secret
        account.webhook_url = url
        return url, account.webhook_secret

    def balance(self, caller: Caller) -> Decimal:
        return self.scenario.sandbox.balance if caller.sandbox else caller.account.balance

    # -- catalogs -------------------------------------------------------------------------

    def server(self, server_id: int) -> PnxServer:
        """A server by its number: the scenario's catalogs are the servers there are."""
        found = self.scenario.servers.get(server_id)
        if found is None:
            raise UnknownServer(sorted(self.scenario.servers))
        return found

    def country(self, server_id: int, region: str, country_code: str | None) -> PnxCountry:
        server = self.server(server_id)
        if region == US:
            return server.us
        country = server.country(country_code or "")
        if country is None:
            raise UnknownCountry(country_code, server_id)
        return country

    def catalog(self, server_id: int, region: str, country_code: str | None, operator: str) -> Catalog:
        country = self.country(server_id, region, country_code)
        if country.operator(operator) is None:
            raise UnknownOperator(operator, country.code, server_id)
        offers = [Offer(s, self.stock[(server_id, country.code, s.id)]) for s in country.services if s.carried_by(operator)]
        return Catalog(server_id, country, operator, offers)

    # -- numbers --------------------------------------------------------------------------

    def buy(self, caller: Caller, *, region: str, service_id: str, operator: str, server_id: int,
            country_code: str | None, now_ms: int) -> Number:
        catalog = self.catalog(server_id, region, country_code, operator)
        country = catalog.country
        service = country.service(service_id)
        if service is None:
            raise PricingNotFound(service_id, server_id)
        if not service.carried_by(operator):
            raise ProductUnavailable(service_id, operator)
        stock_key = (server_id, country.code, service.id)
        if self.stock[stock_key] <= 0:
            raise OutOfStock()
        account = caller.account
        if not caller.sandbox:
            if service.price > account.balance:
                raise InsufficientFunds(service.price, account.balance)
            account.balance -= service.price
            self.stock[stock_key] -= 1
        phone = self._phones.like(country.number_format) if region == GLOBAL else self._phones.us()
        number = Number(
            id=self.number_ids.new(), account=account, sandbox=caller.sandbox, region=region, country=country.code,
            number=phone, service=service, operator=operator, server=server_id, price=service.price,
            behavior=self.scenario.behavior_for(self.server(server_id), country, operator, service, phone),
            created_ms=now_ms, expires_ms=now_ms + self.scenario.lifetime_ms)
        account.numbers[number.id] = number
        if not caller.sandbox:     # sandbox codes come from polling, by the sandbox rules
            for index, plan in enumerate(number.behavior.sms):
                # an SMS due at or after the expiry would find the number taking none
                if plan.after_ms is None or now_ms + plan.after_ms >= number.expires_ms:
                    continue
                number.sms_events.append(self._timeline.schedule(
                    now_ms + plan.after_ms, number.tenant, partial(self._sms_due, number, plan.text),
                    label=f"{self.name} {number.id} sms {index + 1}"))
        number.expiry = self._timeline.schedule(number.expires_ms, number.tenant, partial(self._expire, number),
                                                label=f"{self.name} {number.id} expires")
        return number

    def number(self, caller: Caller, region: str, number_id: str) -> Number:
        """A number of the caller's account, mode (live or sandbox) and region."""
        found = caller.account.numbers.get(number_id)
        if found is None or found.sandbox != caller.sandbox or found.region != region:
            raise NumberNotFound()
        return found

    def poll_code(self, caller: Caller, region: str, number_id: str, now_ms: int) -> Number:
        number = self.number(caller, region, number_id)
        number.polls += 1
        sandbox = self.scenario.sandbox
        if number.sandbox:
            if number.status == PENDING and number.polls >= sandbox.polls:
                self._take_sms(number, now_ms, code=sandbox.code)
            return number
        for plan in number.behavior.sms:
            if plan.on_poll == number.polls:
                self._sms_due(number, plan.text, now_ms)
        return number

    def cancel(self, caller: Caller, region: str, number_id: str, now_ms: int) -> Number:
        number = self.number(caller, region, number_id)
        if region == GLOBAL:
            raise GlobalCancelRefused()
        if not self.cancellable(number):
            raise CancelNotAllowed(number.status)
        number.status = CANCELED
        self._timeline.cancel([*number.sms_events, number.expiry])     # a canceled number takes no SMS
        self._release(number, refund=number.behavior.cancel.refund)
        return number

    # -- codes ----------------------------------------------------------------------------

    def find(self, *, target_id: str | None = None, number: str | None = None) -> Number | None:
        """Any account's number by id, or the newest one with that phone number (control API)."""
        candidates = [n for a in self.accounts.values() for n in a.numbers.values()
                      if (target_id is not None and n.id == target_id) or (target_id is None and n.number == number)]
        return max(candidates, key=lambda n: n.created_ms) if candidates else None

    def deliver_sms(self, number: Number, now_ms: int, text: str | None) -> Delivered:
        """An SMS pushed through the control API."""
        self.receive_sms(number, now_ms, text)
        assert number.sms is not None              # just received
        return Delivered(self.name, number.id, number.number, number.status, number.sms, number.code, now_ms)

    @staticmethod
    def takes_sms(number: Number, now_ms: int) -> bool:
        return number.status in (PENDING, RECEIVED) and now_ms < number.expires_ms

    @staticmethod
    def cancellable(number: Number) -> bool:
        """Whether DELETE would cancel it: a US number still waiting, where the behavior allows."""
        return number.region == US and number.status == PENDING and number.behavior.cancel.allowed

    def receive_sms(self, number: Number, now_ms: int, text: str | None = None) -> Number:
        if not self.takes_sms(number, now_ms):
            raise NumberNotReceiving(f"number {number.id} does not take SMS now (status {number.status}, "
                                     f"expires {format_iso(number.expires_ms)})")
        if text is None:
            self._take_sms(number, now_ms)
        else:
            self._record(number, now_ms, code_in(text), text)
        return number

    def _take_sms(self, number: Number, now_ms: int, code: str | None = None, template: str | None = None) -> None:
        if code is None:
            code = self._codes.new(*code_shape(number))
        self._record(number, now_ms, code, sms_text(number, code, template))

    def _record(self, number: Number, now_ms: int, code: str | None, text: str) -> None:
        if number.status == PENDING:       # only a pending number expires
            self._timeline.cancel([number.expiry])
        number.status, number.code, number.sms, number.sms_at_ms = RECEIVED, code, text, now_ms
        self._notify(number.account, number, now_ms)

    def _sms_due(self, number: Number, template: str | None, at_ms: int) -> None:
        if self.takes_sms(number, at_ms):
            self._take_sms(number, at_ms, template=template)

    def _expire(self, number: Number, at_ms: int) -> None:
        if number.status == PENDING:
            number.status = EXPIRED
            self._release(number, refund=number.behavior.timeout.refund)

    def _release(self, number: Number, *, refund: bool) -> None:
        """A number given back before a code: its stock returns, and a live price if refunded."""
        if number.sandbox:
            return
        self.stock[(number.server, number.country, number.service.id)] += 1
        if refund:
            number.account.balance += number.price
