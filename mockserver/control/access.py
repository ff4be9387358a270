"""Who may drive the sandbox. The control API and the dashboard share this rule.

They run next to a developer's browser, so a web page on another origin must not be able to
change or read the sandbox, not even by DNS rebinding (a page whose own host name is made to
resolve to 127.0.0.1). A call is refused, in this order, when:

1. ``MOCKSERVER_ADMIN_TOKEN`` is set and the call does not carry it (401); without a token, when
   the caller is not a loopback client (403), or addresses the server by a host name that is
   not a loopback name or address, the address it listens on, or one listed in
   ``MOCKSERVER_ALLOWED_HOSTS`` (403: a rebinding page's requests carry the page's own name);
2. it comes from a browser page of another site: a foreign ``Origin``, or ``Sec-Fetch-Site``
   cross-site or same-site (403); opening the dashboard from a link is allowed, it changes
   nothing and shows nothing to the page that linked to it;
3. it changes state and has a body that is not JSON (or, for the scenario, YAML) (415): the
   content types a page may send without asking the server first (a CORS preflight) are
   form posts and text/plain, so those are refused.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import Request

from mockserver.http.wire import body_of
from mockserver.providers.contract import bearer_token
from mockserver.settings import SettingError

TOKEN_HEADER = "X-Admin-Token"
TOKEN_VARIABLE = "MOCKSERVER_ADMIN_TOKEN"         # where the server, and clients of the control API, read it
JSON_TYPES = frozenset({"application/json"})
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
_CHANGES_STATE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_BROWSER_CROSS_SITE = frozenset({"cross-site", "same-site"})


@dataclass(frozen=True)
class Access:
    """The control API's access settings, read once when the app is built."""
    token: str | None = None                          # MOCKSERVER_ADMIN_TOKEN
    allowed_hosts: frozenset[str] = frozenset()       # MOCKSERVER_ALLOWED_HOSTS: more names the server answers to
    bound_host: str | None = None                     # the address it listens on (--host)
    # Folders whose scenario files PUT /_mock/scenario {"path": ...} may load (bundled ones always).
    scenario_dirs: tuple[Path, ...] = field(default_factory=tuple)

    @classmethod
    def from_environ(cls, environ=None, *, bound_host: str | None = None,
                     scenario_dirs: tuple[Path, ...] | None = None) -> Access:
        environ = os.environ if environ is None else environ
        hosts = frozenset(name.strip().lower().rstrip(".") for name in environ.get("MOCKSERVER_ALLOWED_HOSTS", "").split(",")
                          if name.strip())
        if scenario_dirs is None:
            listed = [Path(part) for part in environ.get("MOCKSERVER_SCENARIO_DIRS", "").split(os.pathsep) if part]
            scenario_dirs = tuple(listed) or (Path.cwd(),)
        return cls(token=_sendable_token(environ.get(TOKEN_VARIABLE) or None), allowed_hosts=hosts,
                   bound_host=bound_host if bound_host is not None else environ.get("MOCKSERVER_HOST"),
                   scenario_dirs=tuple(Path(os.path.realpath(folder)) for folder in scenario_dirs))


# What an HTTP header value carries the same way through every client and server: visible ASCII.
# granian hands the app headers as Latin-1 text and clients encode them in their own ways, so a
# token holding anything else could only ever be sent as ?token= (the CLI could not authenticate).
_SENDABLE_TOKEN = re.compile(r"[\x21-\x7e]+")


def _sendable_token(token: str | None) -> str | None:
    """The admin token, if a client can send it as a header; SettingError saying why not."""
    if token is not None and not _SENDABLE_TOKEN.fullmatch(token):
        odd = next(char for char in token if not _SENDABLE_TOKEN.fullmatch(char))
        raise SettingError(f"{TOKEN_VARIABLE} holds {odd!r}: HTTP headers carry visible ASCII only (letters, digits "
                           "and punctuation, no spaces), so no client could send this token as X-Admin-Token; "
                           "choose one without it (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')")
    return token


def refusal(request: Request, access: Access, *, token_in_query: bool = False,
            body_types: frozenset[str] = JSON_TYPES) -> tuple[int, str] | None:
    """None when the caller may go on, else (status, why). A browser opening the dashboard
    cannot send a header, so there the token may also come as ``?token=``."""
    if access.token:
        given = request.headers.get(TOKEN_HEADER) or bearer_token(request.headers)
        if not given and token_in_query:
            given = request.args.get("token")
        if not given or not _same_secret(given, access.token):
            return 401, ("this control API needs the admin token: send X-Admin-Token "
                         "(or Authorization: Bearer) with the value of MOCKSERVER_ADMIN_TOKEN")
    else:
        if not _loopback(request.remote_addr):
            return 403, ("the control API answers loopback clients only; set MOCKSERVER_ADMIN_TOKEN "
                         "on the server to use it from elsewhere")
        # The Host header as sent: Werkzeug's request.host is "" for one holding characters it
        # deems invalid ("rebind_1.x", "a~b"), which must not pass as "no Host". Only a request
        # with no Host at all (HTTP/1.0 tools) is taken as addressed to this server.
        host = request.environ.get("HTTP_HOST")
        if host is not None and not _known_host(host, access):
            return 403, (f"the control API answers requests addressed to a loopback name or address "
                         f"(localhost, 127.0.0.1, [::1]), and {host[:200]!r} is none of them; add the name to "
                         "MOCKSERVER_ALLOWED_HOSTS, or set MOCKSERVER_ADMIN_TOKEN and send it")
    cross_site = _cross_site(request)
    # A link followed from another site opens the dashboard as a page of its own (it shows the
    # linking page nothing); loaded into that site's frame it could be clicked through unseen.
    if cross_site and not (token_in_query and request.method == "GET"
                           and request.headers.get("Sec-Fetch-Mode") == "navigate"
                           and request.headers.get("Sec-Fetch-Dest") == "document"):
        return 403, (f"cross-site request refused ({cross_site}): the control API takes calls from its "
                     "own dashboard and from clients that are not web pages")
    if request.method in _CHANGES_STATE and _has_body(request) and request.mimetype not in body_types:
        wanted = " or ".join(sorted(body_types))
        return 415, (f"send the body as {wanted} (Content-Type: {sorted(body_types)[0]}; with curl, "
                     "--json '{...}' or -H 'Content-Type: application/json')")
    return None


def _same_secret(given: str, expected: str) -> bool:
    # Bytes, not str: compare_digest refuses str holding anything but ASCII, and a header may.
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# A Host header: "[IPv6]" or a name or IPv4 address, either with an optional ":port"; or a bare
# IPv6 address, as --host gives one. Anything else (a "~", a space, text after "]") is malformed.
_HOST = re.compile(r"\[(?P<ip6>[0-9a-f:.]+)\](?::\d*)?|(?P<bare6>[0-9a-f]*:[0-9a-f:.]*:[0-9a-f:.]*)"
                   r"|(?P<name>[a-z0-9_.-]+)(?::\d*)?")


def _hostname(host: str) -> str | None:
    """The name or address of a Host header, without its port, brackets or a final dot; None
    when the header is not a host and port."""
    matched = _HOST.fullmatch(host.strip().lower())
    if matched is None:
        return None
    name = (matched["ip6"] or matched["bare6"] or matched["name"]).rstrip(".")
    return name or None


def _known_host(host: str, access: Access) -> bool:
    name = _hostname(host)
    if name is None:
        return False
    if name == "localhost" or name.endswith(".localhost") or name in access.allowed_hosts:
        return True
    if access.bound_host and name == _hostname(access.bound_host) and name not in ("0.0.0.0", "::"):
        return True
    return _loopback(name)


def _cross_site(request: Request) -> str | None:
    """How a request shows it was sent by a page of another site, or None."""
    fetch_site = request.headers.get("Sec-Fetch-Site", "").lower()
    if fetch_site in _BROWSER_CROSS_SITE:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = request.headers.get("Origin")
    host = _authority(request.environ.get("HTTP_HOST") or "", request.scheme)     # as sent (see refusal)
    if origin is not None and (origin == "null" or not host
                               or _authority(urlsplit(origin).netloc, urlsplit(origin).scheme) != host):
        return f"Origin: {origin}"
    return None


def _authority(value: str, scheme: str) -> str:
    """host[:port] as a browser compares it: lower case, without the scheme's default port."""
    value = value.strip().lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return value[:-len(default)] if default and value.endswith(default) else value


def _has_body(request: Request) -> bool:
    """Whether the request came with a body: what the app's front read, whatever the headers said
    (HTTP/2 sends none; a Transfer-Encoding list is not exactly "chunked")."""
    return bool(body_of(request))
