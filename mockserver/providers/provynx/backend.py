"""Provynx state and rules: accounts with live and test keys, wallets, three server catalogs,
numbers and their codes.

Plain Python under the engine lock: no Flask, no HTTP codes, no JSON. Test keys (nsk_test_)
get the documented sandbox: no debits, a fixed balance, and a code that appears on a set poll.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Callable

from ...engine.idempotency import IdempotencyStore
from ...engine.ids import Codes, PhoneNumbers, TokenIds
from ...engine.ratelimit import RateLimiter, Rejection
from ...engine.timeline import Timeline
from ...scenario.model import Behavior, PnxCountry, PnxServer, PnxService, ProvynxScenario
from ..sms import code_shape, sms_text
from ...settings import DEFAULT_LIMITS
from ..tenancy import TenantLimitReached

PENDING, RECEIVED, CANCELED, EXPIRED = "pending", "received", "canceled", "expired"
US, GLOBAL = "us", "global"
_CODE_IN_TEXT = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


class ProvynxError(Exception):
    """A refusal the client caused; the views give each kind its status and text."""


class UnknownCountry(ProvynxError):
    pass


class UnknownOperator(ProvynxError):
    pass


class PricingNotFound(ProvynxError):
    pass


class ProductUnavailable(ProvynxError):
    pass


class OutOfStock(ProvynxError):
    pass


class InsufficientFunds(ProvynxError):
    pass


class NumberNotFound(ProvynxError):
    pass


class CancelNotAllowed(ProvynxError):
    pass


class GlobalCancelRefused(ProvynxError):
    pass


class NotReceiving(ProvynxError):
    """An SMS pushed (control API) to a number that no longer takes one."""


def tenant_of(account_name: str) -> str:
    return f"provynx:{account_name}"


@dataclass
class Account:
    name: str
    balance: Decimal
    keys: frozenset[str]
    webhook_url: str | None
    webhook_secret: str
    numbers: dict[str, "Number"] = field(default_factory=dict)

    @property
    def tenant(self) -> str:
        return tenant_of(self.name)


def is_sandbox_key(key: str) -> bool:
    return key.startswith("nsk_test_")


@dataclass(frozen=True)
class Caller:
    """Who is asking: the account and whether the key is a sandbox (test) key."""
    account: Account
    key: str
    sandbox: bool

    @property
    def scope(self) -> str:
        return f"{self.account.name}:{'test' if self.sandbox else 'live'}"


@dataclass
class Number:
    id: str
    account: str
    sandbox: bool
    region: str
    country: str
    number: str
    service: PnxService
    operator: str
    server: int
    price: Decimal
    behavior: Behavior
    created_ms: int
    expires_ms: int
    status: str = PENDING
    code: str | None = None
    sms: str | None = None
    polls: int = 0

    @property
    def tenant(self) -> str:
        return tenant_of(self.account)


@dataclass(frozen=True)
class Catalog:
    """One operator's view of a country on a server, with live stock."""
    server: PnxServer
    country: PnxCountry
    operator: str
    services: list[tuple[PnxService, int]]


# (account, number, virtual instant) -> None; called when a code arrives
Notify = Callable[[Account, Number, int], None]


class Provynx:
    def __init__(self, scenario: ProvynxScenario, *, timeline: Timeline, ids: TokenIds, phones: PhoneNumbers,
                 codes: Codes, notify: Notify, default_secret: Callable[[str], str],
                 max_tenants: int = DEFAULT_LIMITS.max_tenants):
        self.scenario = scenario
        self._timeline = timeline
        self._ids = ids
        self._phones = phones
        self._codes = codes
        self._notify = notify
        self.limiter = RateLimiter(list(scenario.rate_limits))
        self.idempotency = IdempotencyStore(scenario.idempotency_ttl_ms)
        self._default_secret = default_secret
        self._max_tenants = max_tenants
        self._revoked = frozenset(key for a in scenario.accounts for key in a.revoked_keys)
        self.accounts: dict[str, Account] = {}
        self._by_key: dict[str, Account] = {}
        for declared in scenario.accounts:
            self._add(Account(declared.name, declared.balance, frozenset(declared.keys), declared.webhook_url,
                              declared.webhook_secret or default_secret(declared.name)))
        self._stock = {(server.id, country.code, service.id): scenario.stock_of(server, country, service)
                       for server in scenario.servers.values()
                       for country in (server.us, *server.countries) for service in country.services}

    # -- access ---------------------------------------------------------------------------

    def caller(self, key: str | None, *, provision: bool = True) -> Caller | None:
        """Who a key belongs to. Revoked keys are among no account's keys, so they get None like
        unknown ones; an unknown key matching the tenant patterns gets a fresh one-key account
        (TenantLimitReached past the limit)."""
        if not key:
            return None
        account = self._by_key.get(key)
        tenants = self.scenario.tenants
        if account is None and provision and key not in self._revoked and tenants.admits(key):
            if len(self.accounts) - len(self.scenario.accounts) >= self._max_tenants:
                raise TenantLimitReached(self._max_tenants)
            account = self._add(Account(key, tenants.balance, frozenset([key]), tenants.webhook_url,
                                        tenants.webhook_secret or self._default_secret(key)))
        return None if account is None else Caller(account, key, is_sandbox_key(key))

    def _add(self, account: Account) -> Account:
        self.accounts[account.name] = account
        self._by_key.update({key: account for key in account.keys})
        return account

    def reset_account(self, name: str) -> None:
        """Back to the scenario's account, or none if it was provisioned; its stock is not returned."""
        old = self.accounts.pop(name, None)
        if old is not None:
            for key in old.keys:
                self._by_key.pop(key, None)
                self.limiter.forget(key)
        self.idempotency.forget(f"{name}:")
        declared = next((a for a in self.scenario.accounts if a.name == name), None)
        if declared is not None:
            self._add(Account(declared.name, declared.balance, frozenset(declared.keys), declared.webhook_url,
                              declared.webhook_secret or self._default_secret(declared.name)))

    def admit(self, caller: Caller, ip: str, path: str, now_ms: int) -> Rejection | None:
        return self.limiter.check({"key": caller.key, "ip": ip}, path, now_ms)

    def balance(self, caller: Caller) -> Decimal:
        return self.scenario.sandbox.balance if caller.sandbox else caller.account.balance

    # -- catalogs -------------------------------------------------------------------------

    def server(self, server_id: int) -> PnxServer:
        return self.scenario.servers[server_id]

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
        services = [(s, self._stock[(server_id, country.code, s.id)]) for s in country.services if s.carried_by(operator)]
        return Catalog(self.server(server_id), country, operator, services)

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
        if self._stock[stock_key] <= 0:
            raise OutOfStock(service_id)
        account = caller.account
        if not caller.sandbox:
            if service.price > account.balance:
                raise InsufficientFunds(service.price, account.balance)
            account.balance -= service.price
            self._stock[stock_key] -= 1
        phone = self._phones.like(country.number_format) if region == GLOBAL else self._phones.us()
        number = Number(
            id=self._ids.new(), account=account.name, sandbox=caller.sandbox, region=region, country=country.code,
            number=phone, service=service, operator=operator, server=server_id, price=service.price,
            behavior=self.scenario.behavior_for(catalog.server, country, operator, service, phone),
            created_ms=now_ms, expires_ms=now_ms + self.scenario.lifetime_ms)
        account.numbers[number.id] = number
        if not caller.sandbox:     # sandbox codes come from polling, by the sandbox rules
            for index, plan in enumerate(number.behavior.sms):
                if plan.after_ms is None:
                    continue
                self._timeline.schedule(now_ms + plan.after_ms, number.tenant,
                                        partial(self._sms_due, number, plan.text),
                                        label=f"provynx {number.id} sms {index + 1}")
        self._timeline.schedule(number.expires_ms, number.tenant, partial(self._expire, number),
                                label=f"provynx {number.id} expires")
        return number

    def number(self, caller: Caller, region: str, number_id: str) -> Number:
        """A number of the caller's account, mode (live or sandbox) and region."""
        found = caller.account.numbers.get(number_id)
        if found is None or found.sandbox != caller.sandbox or found.region != region:
            raise NumberNotFound(number_id)
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
            raise GlobalCancelRefused(number_id)
        if not self.cancellable(number):
            raise CancelNotAllowed(number.status)
        number.status = CANCELED
        self._release(number, refund=number.behavior.cancel_refund)
        return number

    # -- codes ----------------------------------------------------------------------------

    def find_number(self, *, number_id: str | None = None, phone: str | None = None) -> Number:
        """Any account's number by id, or the newest one with that phone number (control API)."""
        candidates = [n for a in self.accounts.values() for n in a.numbers.values()
                      if (number_id is not None and n.id == number_id) or (number_id is None and n.number == phone)]
        if not candidates:
            raise NumberNotFound(number_id or phone)
        return max(candidates, key=lambda n: n.created_ms)

    @staticmethod
    def takes_sms(number: Number, now_ms: int) -> bool:
        return number.status in (PENDING, RECEIVED) and now_ms < number.expires_ms

    @staticmethod
    def cancellable(number: Number) -> bool:
        """Whether DELETE would cancel it: a US number still waiting, where the behavior allows."""
        return number.region == US and number.status == PENDING and number.behavior.cancel_allowed

    def receive_sms(self, number: Number, now_ms: int, text: str | None = None) -> Number:
        if not self.takes_sms(number, now_ms):
            raise NotReceiving(number.status)
        if text is None:
            self._take_sms(number, now_ms)
        else:
            found = _CODE_IN_TEXT.search(text)
            self._record(number, now_ms, found.group(0) if found else None, text)
        return number

    def _take_sms(self, number: Number, now_ms: int, code: str | None = None, template: str | None = None) -> None:
        if code is None:
            code = self._codes.new(*code_shape(number))
        self._record(number, now_ms, code, sms_text(number, code, template))

    def _record(self, number: Number, now_ms: int, code: str | None, text: str) -> None:
        number.status, number.code, number.sms = RECEIVED, code, text
        self._notify(self.accounts[number.account], number, now_ms)

    def _sms_due(self, number: Number, template: str | None, at_ms: int) -> None:
        if self.takes_sms(number, at_ms):
            self._take_sms(number, at_ms, template=template)

    def _expire(self, number: Number, at_ms: int) -> None:
        if number.status == PENDING:
            number.status = EXPIRED
            self._release(number, refund=number.behavior.timeout_refund)

    def _release(self, number: Number, *, refund: bool) -> None:
        """A number given back before a code: its stock returns, and a live price if refunded."""
        if number.sandbox:
            return
        self._stock[(number.server, number.country, number.service.id)] += 1
        if refund:
            self.accounts[number.account].balance += number.price
