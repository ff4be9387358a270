"""Accounts made on first use from a scenario's key patterns, within a bound: any client can send
any key, so without one a loop of new keys would grow the sandbox without end."""
from __future__ import annotations


class TenantLimitReached(LookupError):
    """A key matched a tenant pattern, but the provider has provisioned as many accounts as allowed."""

    def __init__(self, limit: int):
        super().__init__(f"this sandbox has made {limit} accounts from key patterns already "
                         "(MOCKSERVER_MAX_TENANTS); reset it, or one tenant, to make room")
        self.limit = limit
