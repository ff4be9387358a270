"""Tenants: whose state something is. Every account of every provider is one, and everything the
engine keeps per account (clock offset, timeline events, webhook log, journal entries) is keyed by
its Tenant. Accounts made on first use from a scenario's key patterns stay within a bound: any
client can send any key, so without one a loop of new keys would grow the sandbox without end."""
from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Any, Generic, Protocol, TypeVar

from mockserver.engine.ratelimit import RateLimiter, Rejection, Usage


class Tenant(tuple):
    """One account of one provider: (provider, account). A value, and a tuple underneath so that
    the engine's lookups by tenant, on every request, hash and compare it without Python code."""

    __slots__ = ()

    def __new__(cls, provider: str, account: str):
        return tuple.__new__(cls, (provider, account))

    provider = property(itemgetter(0))
    account = property(itemgetter(1))

    def __getnewargs__(self):
        return tuple(self)

    def __repr__(self) -> str:
        return f"Tenant({self.provider!r}, {self.account!r})"

    def __str__(self) -> str:
        return f"{self.provider}:{self.account}"


class TenantLimitReached(LookupError):
    """A key matched a tenant pattern, but the provider has provisioned as many accounts as allowed."""

    def __init__(self, limit: int):
        super().__init__(f"this sandbox has made {limit} accounts from key patterns already "
                         "(MOCKSERVER_MAX_TENANTS); reset it, or one tenant, to make room")
        self.limit = limit


class _KeyedAccount(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def tenant(self) -> Tenant: ...


A = TypeVar("A", bound=_KeyedAccount)


class KeyedAccounts(Generic[A]):
    """Accounts that are one API key each (PVADeals, sms-activate): the scenario's, and those made
    on first use from its tenant patterns, within ``max_tenants``. A backend keeps ``accounts``,
    ``limiter``, ``scenario`` (with ``accounts`` and ``tenants``) and says in ``opening`` which
    field of a declared account or of the tenant patterns is its opening money."""
    accounts: dict[str, A]
    limiter: RateLimiter
    scenario: Any
    opening: str
    _declared: frozenset[str]
    _max_tenants: int

    def _open(self, key: str, money: Decimal, webhook: str | None) -> A:
        raise NotImplementedError

    def _open_declared(self) -> None:
        for declared in self.scenario.accounts:
            self._open(declared.key, getattr(declared, self.opening), declared.webhook)
        self._declared = frozenset(self.accounts)

    def authenticate(self, key: str | None, *, provision: bool = True) -> A | None:
        """The key's account; an unknown key that matches the scenario's tenant patterns gets a
        fresh one on first use (TenantLimitReached past the limit)."""
        if not key:
            return None
        found = self.accounts.get(key)
        tenants = self.scenario.tenants
        if found is None and provision and tenants.admits(key):
            if len(self.accounts) - len(self._declared) >= self._max_tenants:
                raise TenantLimitReached(self._max_tenants)
            found = self._open(key, getattr(tenants, self.opening), tenants.webhook)
        return found

    def tenant_for_key(self, key: str, *, provision: bool = True) -> Tenant | None:
        account = self.authenticate(key, provision=provision)
        return None if account is None else account.tenant

    def reset_tenant(self, tenant: Tenant) -> None:
        """Back to the scenario's account for this key, or no account if it was provisioned."""
        key = tenant.account
        declared = next((a for a in self.scenario.accounts if a.key == key), None)
        if declared is None:
            self.accounts.pop(key, None)
        else:
            self._open(declared.key, getattr(declared, self.opening), declared.webhook)
        self.limiter.forget(key)

    def admit(self, caller: Any, ip: str, path: str, now_ms: int) -> Rejection | None:
        return self.limiter.check({"key": caller.key, "ip": ip}, path, now_ms)

    def rate_usage(self) -> list[Usage]:
        return self.limiter.usage()
