"""The providers' real host names, each with the provider (and, for the sms-activate family, the
dialect) the sandbox answers it as. The TLS certificate names them all, the HTTPS proxy lets only
them through, and the in-process interception routes only them; a scenario may add or change
entries (its ``real_hosts:`` field). No Flask, no I/O: plain data."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The sms-activate protocol's provider, served at /stubs/handler_api.php (the scenario's default
# dialect) and at /<dialect>/stubs/handler_api.php.
SMS_ACTIVATE = "smsactivate"


@dataclass(frozen=True)
class RealHost:
    name: str                      # lower case, no port, no final dot
    provider: str                  # the provider it is answered as
    dialect: str | None = None     # the sms-activate family only: the dialect its path names

    @property
    def path_prefix(self) -> str:
        """What goes before the path the client sent: the dialect's folder, or nothing."""
        return "" if self.dialect is None else "/" + self.dialect

    @property
    def target(self) -> str:
        """How a scenario writes it: ``provider`` or ``provider/dialect``."""
        return self.provider if self.dialect is None else f"{self.provider}/{self.dialect}"


def _family(dialect: str | None, *names: str) -> list[RealHost]:
    return [RealHost(name, SMS_ACTIVATE, dialect) for name in names]


DEFAULT_HOSTS: tuple[RealHost, ...] = (
    RealHost("prod-v3.pvadeals.com", "pvadeals"),
    RealHost("sms.provynx.com", "provynx"),
    # sms-activate and its mirrors (the reference's transport table and dialect table), each in
    # its dialect by name: the bare /stubs path speaks whatever a scenario makes its default.
    *_family("vanilla", "api.sms-activate.org", "api.sms-activate.ae", "api.sms-activate.io", "api.sms-activate.ru",
             "api.sms-activate.guru", "api.sms-activate.world", "api.sms-activate.page",
             "smsbower.online"),           # SMSBower: the reference notes no difference that needs a dialect
    *_family("herosms", "hero-sms.com"),
    *_family("grizzlysms", "api.grizzlysms.com"),
    *_family("smsonline", "sms-online.pro"),
    *_family("privatesms", "privatesms.vip"),
    *_family("smshub", "smshub.org"),
)

# The most host names a scenario may add.
MAX_EXTRA_HOSTS = 100
# A host name as a scenario may list it: DNS labels of letters, digits and hyphens.
_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
_TARGET = re.compile(r"(?P<provider>[a-z][a-z0-9_-]*)(/(?P<dialect>[a-z][a-z0-9_-]*))?")


def parse_target(name: str, target: str) -> RealHost:
    """``provider`` or ``provider/dialect`` for ``name``; ValueError saying what is wrong."""
    host = name.strip().lower().rstrip(".")
    if not _NAME.fullmatch(host):
        raise ValueError(f"{name!r} is not a host name (letters, digits, hyphens and dots; no port)")
    matched = _TARGET.fullmatch(target.strip())
    if matched is None:
        raise ValueError(f"{target!r}: give a provider, or provider/dialect (e.g. {SMS_ACTIVATE}/herosms)")
    return RealHost(host, matched["provider"], matched["dialect"])


def parse_targets(targets: Mapping[str, str]) -> tuple[RealHost, ...]:
    """A scenario's ``real_hosts:`` mapping; ValueError naming the first wrong entry."""
    if len(targets) > MAX_EXTRA_HOSTS:
        raise ValueError(f"at most {MAX_EXTRA_HOSTS} host names")
    return tuple(parse_target(name, target) for name, target in targets.items())


def merged(extra: Iterable[RealHost] = ()) -> Mapping[str, RealHost]:
    """The default hosts with ``extra`` added (an entry for a default name replaces it), by name."""
    table = {host.name: host for host in DEFAULT_HOSTS}
    table.update((host.name, host) for host in extra)
    return table


def host_name(header: str | None) -> str | None:
    """The name in a Host header (no port, lower case, no final dot); None for none."""
    if not header:
        return None
    name = header.strip().lower()
    if name.startswith("["):        # an IPv6 address is never a real host name
        return None
    return name.rpartition(":")[0].rstrip(".") if ":" in name else name.rstrip(".")
