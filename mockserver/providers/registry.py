"""The one place that lists the providers mockserver emulates. Everything else iterates these."""
from __future__ import annotations

from mockserver.providers.contract import Provider
from mockserver.providers.provynx import PROVIDER as PROVYNX
from mockserver.providers.pvadeals import PROVIDER as PVADEALS
from mockserver.providers.smsactivate import PROVIDER as SMSACTIVATE

PROVIDERS: tuple[Provider, ...] = (PVADEALS, PROVYNX, SMSACTIVATE)
_BY_NAME = {provider.name: provider for provider in PROVIDERS}


def names() -> list[str]:
    return list(_BY_NAME)


def by_name(name: str) -> Provider:
    return _BY_NAME[name]


def by_path(path: str) -> Provider | None:
    """The provider whose API a request path is under."""
    for provider in PROVIDERS:
        if provider.serves(path):
            return provider
    return None
