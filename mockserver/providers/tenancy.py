"""Tenants: whose state something is. Every account of every provider is one, and everything the
engine keeps per account (clock offset, timeline events, webhook log, journal entries) is keyed by
its Tenant. Accounts made on first use from a scenario's key patterns stay within a bound: any
client can send any key, so without one a loop of new keys would grow the sandbox without end."""
from __future__ import annotations

from operator import itemgetter


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
