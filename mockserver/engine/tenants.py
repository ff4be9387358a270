"""What the engine keys per-account state by. The engine does not look inside a tenant: a
provider's Tenant value (providers/tenancy.py) is any hashable to it."""
from collections.abc import Hashable

TenantKey = Hashable
