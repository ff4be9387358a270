"""The provider contract: what a provider package states, in one place (its ``__init__``), for the
rest of mockserver to use. The app, the request pipeline, the sandbox, the control API, the
dashboard, the CLI, the journal, the pytest plugin and the OpenAPI documents iterate the
registered providers (registry.py) through this contract and name none of them.

A provider has:
- a prefix, and routes: each a method, a path, the input it reads (a body or query schema), the
  answer's schema and the backend call that makes what the answer shows (Route);
- its error shapes (ErrorWire), and refusals that carry their own status and message
  (ProviderError subclasses in its errors.py);
- a backend built from its scenario section, that authenticates keys and names their tenants,
  admits requests (rate limits), finds a number for the control API and delivers an SMS to it,
  points an account at a webhook URL, and resets one tenant (Backend);
- what the control API and the dashboard show of it, its line in the start-up banner, and its
  scenario section.
"""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from marshmallow import Schema

from mockserver.engine.exchange import Exchange
from mockserver.engine.ids import Codes, PhoneNumbers
from mockserver.engine.probe import ProbeSpec
from mockserver.engine.ratelimit import Rejection, Usage
from mockserver.engine.records import Record
from mockserver.engine.timeline import Event, Timeline
from mockserver.engine.webhooks import Outbox, RetryPolicy
from mockserver.providers.restoring import Restored
from mockserver.providers.tenancy import Tenant
from mockserver.settings import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from flask import Request  # a type only: no web framework below the HTTP front

    from mockserver.engine.clock import Clock


def under(path: str, base: str) -> bool:
    """Whether ``path`` is ``base`` or below it; a ``<name>`` segment of ``base`` (a mount's path
    variable) stands for any one segment."""
    return base_length(path, base) is not None


def base_length(path: str, base: str) -> int | None:
    """How many characters of ``path`` its ``base`` takes, or None if it is not under it."""
    if "<" not in base:
        return len(base) if path == base or path.startswith(base + "/") else None
    pattern = _BASES.get(base)
    if pattern is None:
        pattern = _BASES[base] = re.compile(re.sub(r"<[^>]+>", "[^/]+", re.escape(base)) + r"(?=/|$)")
    found = pattern.match(path)
    return None if found is None else found.end()


_BASES: dict[str, re.Pattern[str]] = {}


class ProviderError(Exception):
    """A refusal the client caused, with the status and message its provider answers it with.
    Each provider's errors.py defines its kinds; a backend raises them, the pipeline answers them."""

    status: ClassVar[int] = 400
    message: ClassVar[str] = ""
    # True: the input itself was refused (an unknown server, say), so nothing began and guards
    # free what they hold (an Idempotency-Key), as for a body that does not validate.
    refuses_input: ClassVar[bool] = False

    def __init__(self, message: str | None = None):
        text = message if message is not None else type(self).message
        super().__init__(text)
        self.text = text


class NoWebhookUrl(LookupError):
    """A webhook probe of an account that has no webhook URL; the message says how to set one."""


class NotReceiving(Exception):
    """An SMS pushed through the control API to a number that takes none now; the message says why."""


class Texts(Protocol):
    """Names to text values, as a request's headers or query give them (a Mapping, or werkzeug's
    Headers and MultiDict)."""

    def get(self, key: str, default: str) -> str: ...


def bearer_token(headers: Texts) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


@dataclass(frozen=True)
class Route:
    """One route of a provider: everything the pipeline, the app and the OpenAPI document need.

    ``call(backend, caller, now_ms, **path_args[, body=][, query=][, base_url=])`` runs under the
    state lock and returns what ``answer`` dumps (or, with ``answer`` None, the body itself).
    ``answer`` may also be a function of the provider's scenario section that gives the schema
    (an answer whose shape the scenario chooses); a public route's call takes the section only."""
    method: str
    path: str                                  # below the provider's prefix, in werkzeug's syntax
    call: Callable[..., object]
    answer: type[Schema] | Callable[[Any], type[Schema]] | None = None
    status: int | None = 200                   # None: it never succeeds (it only refuses)
    body: type[Schema] | None = None           # a JSON body, read and validated outside the lock
    query: type[Schema] | None = None
    summary: str = ""
    errors: Mapping[int, str] = field(default_factory=dict)   # statuses it may answer besides 401 and 429
    public: bool = False                       # no key, no rate limit, no fault: a document
    guards: tuple[Guard, ...] = ()           # steps around the call, e.g. an Idempotency-Key
    needs_base_url: bool = False               # the call gets base_url, this server's as the client called it ("http://host:port")
    endpoint: str | None = None                # its name in the app; default: the call's (two routes of one call need their own)
    # What the client report (mockserver/report/rules/) makes of a request to it: "poll" (asks after
    # one number, the path's id), "purchase" (spends money; with an id, re-arms that number) or
    # "release" (gives a number back: a flag, a cancel); None: none of these.
    kind: str | None = None
    done: Callable[[Any], bool] | None = None   # a poll's result shows the number finished (code or end)
    retry_header: str | None = None            # a purchase's header that makes a repeat safe (an idempotency key)
    # Routes that share a method and a path are told apart by their parameters (Provider.parameters):
    # this one takes the requests whose parameters hold these values (sms-activate's one URL, whose
    # ``action`` picks the call). Among routes sharing a path, the one with no ``when`` takes the
    # requests no other takes (an unknown action).
    when: Mapping[str, str] = field(default_factory=dict)
    # The parameter that names the number a "poll" or "release" is about, when the path does not
    # (the report reads the path's ``id`` otherwise).
    subject: str | None = None

    @property
    def name(self) -> str:
        return self.endpoint or self.call.__name__

    def answer_for(self, section: Any) -> type[Schema] | None:
        answer = self.answer
        return answer if answer is None or isinstance(answer, type) else answer(section)


class Guard(Protocol):
    """A step of one route around its call (Provynx's Idempotency-Key). ``before`` runs under the
    lock after authentication and the rate limit, before any fault, and may answer instead of the
    route; ``after`` runs under the lock with the answer's status and body once there is one
    (``refused_input``: the body or query was refused before the call); ``abandon`` when there
    will be none (a dropped connection, a crash). ``parameters``: what it reads, for the OpenAPI
    document (a header)."""

    @property
    def parameters(self) -> tuple[dict[str, object], ...]: ...

    def before(self, call: Call[Any, Any]) -> tuple[int, object, dict[str, str]] | None: ...

    def after(self, call: Call[Any, Any], status: int, body: object, refused_input: bool) -> None: ...

    def abandon(self, call: Call[Any, Any]) -> None: ...


class Caller(Protocol):
    """Who a key belongs to."""
    @property
    def key(self) -> str: ...

    @property
    def tenant(self) -> Tenant: ...


class SandboxView(Protocol):
    """What a route's steps read of the sandbox: its bounds (settings.py), as they are now."""
    @property
    def limits(self) -> Limits: ...


CallerT = TypeVar("CallerT", bound=Caller)
TargetT = TypeVar("TargetT")
BackendT = TypeVar("BackendT", bound="Backend[Any, Any]")


@dataclass
class Call(Generic[BackendT, CallerT]):
    """One request as the pipeline's steps see it; a guard of one provider's routes names that
    provider's backend and caller."""
    sandbox: SandboxView
    section: Any                               # the provider's scenario section (its own dataclass)
    backend: BackendT
    caller: CallerT
    request: Request                           # the Flask request
    now_ms: int
    exchange: Exchange                         # what the pipeline has read and learnt of it
    held: dict[str, Any] = field(default_factory=dict)   # what guards keep between their steps


@dataclass(frozen=True)
class ErrorWire:
    """A provider's error shapes."""
    body: Callable[[int, str], object]         # the error body for a status and a message (a str: text/plain)
    texts: Mapping[int, str]                   # messages of statuses no call chooses: unknown route, 405, 413, faults
    unauthorized: str                          # missing, unknown or revoked key
    invalid_input: Callable[[str], str]        # a refused body or query's message, from the problem found
    rate_limited: Callable[[Rejection], object]  # the 429 body (Retry-After is added by the pipeline)
    schema: type[Schema]                       # the error body, for the OpenAPI document
    rate_limited_schema: type[Schema]

    def for_status(self, status: int, fallback: str) -> object:
        return self.body(status, self.texts.get(status) or fallback)


@dataclass(frozen=True)
class Delivered:
    """An SMS the control API delivered."""
    provider: str
    id: str
    number: str
    status: str
    text: str
    code: str | None
    at_ms: int


class Backend(Protocol[CallerT, TargetT]):
    """A provider's state and rules: plain Python under the state lock, no HTTP. ``CallerT``: who
    its keys belong to (its accounts, or a key's view of one); ``TargetT``: what the control API
    finds and delivers an SMS to (a request, a number, an activation)."""

    def authenticate(self, key: str | None) -> CallerT | None:
        """The caller a key belongs to (making an account from the tenant patterns if it matches
        one; TenantLimitReached past the limit), or None."""

    def admit(self, caller: CallerT, ip: str, path: str, now_ms: int) -> Rejection | None: ...

    def tenant_for_key(self, key: str, *, provision: bool = True) -> Tenant | None: ...

    def reset_tenant(self, tenant: Tenant) -> None:
        """Back to the scenario's account, or none if it was made from a pattern."""

    def find(self, *, target_id: str | None = None, number: str | None = None) -> TargetT | None:
        """Any account's number (a request, for PVADeals) by id, or the newest with that phone number."""

    def deliver_sms(self, target: TargetT, now_ms: int, text: str | None) -> Delivered:
        """An SMS to it now (NotReceiving if it takes none); text None: the service's wording."""

    def set_webhook(self, tenant: Tenant, url: str | None, secret: str | None) -> tuple[str | None, str | None]:
        """Point the tenant's account at a receiver; (url, signing secret or None)."""

    def rate_usage(self) -> list[Usage]:
        """Each rate-limit counter's peak and refusals since the last reset (the client report)."""


@dataclass(frozen=True)
class Ended:
    """A number that ended without a code and without the client giving it back (it expired),
    for the client report: which key bought it, when it ended, and what it cost that was kept."""
    id: str
    key: str
    ended_ms: int
    kept: Decimal                  # its price, when it was not refunded; else 0


@dataclass(frozen=True)
class Bought:
    """A number a key bought, for the client report: what for (the service and country, as the
    provider names them) and when, and when the client gave it back (a cancel), if it did."""
    id: str
    key: str
    offer: str                     # the service and country, e.g. "wa, country 187"
    bought_ms: int
    released_ms: int | None = None  # when the client cancelled it; None: it did not


@dataclass(frozen=True)
class BuildContext:
    """What a backend is built with, besides its scenario section: the engine's shared parts and
    the generators, seeded, that the providers share (one phone-number pool, so no number is
    handed out twice)."""
    seed: int | str
    timeline: Timeline
    outbox: Outbox
    phones: PhoneNumbers
    codes: Codes
    max_tenants: int
    renewals_kept: int = DEFAULT_LIMITS.rental_renewals_kept


@dataclass(frozen=True)
class DashboardView:
    """A provider's part of the dashboard: rows for the templates. Numbers and messages come as
    (sort key, make the row) pairs, so the page shapes only the newest it shows, whatever the
    sandbox holds (it renders once a second, under the state lock). A number's row holds, besides
    what the table shows, ``detail`` (a tooltip), ``note`` (a line under the id, such as a rental's
    days left) and ``actions``: (verb, path, method) triples the page sends to the provider's API
    with the row's ``key``."""
    accounts: list[dict[str, Any]]
    numbers: Sequence[tuple[tuple[Any, ...], Callable[[], dict[str, Any]]]]      # sort key: (created, id)
    messages: Sequence[tuple[tuple[Any, ...], Callable[[], dict[str, Any]]]]     # sort key: (received or created, id)


@dataclass(frozen=True)
class Verification:
    """How `mockserver verify` checks a provider against its real API (mockserver/verify/ runs it).

    ``script(session, spend, full_catalog)`` makes the calls, through ``session.call``, the same
    way on both sides (``full_catalog``: every call the catalog needs, for --save-catalog);
    ``prime(session, real_exchanges)`` first gives the sandbox what the real account showed it
    has (numbers to list), so both sides take the same path through the script;
    ``catalog(real_exchanges)`` turns the real catalog into fixture files a scenario can name:
    {file name suffix: (data, a note for the file's head or None)}."""
    script: Callable[..., None]
    value_keys: frozenset[str]                 # fields whose values are the API's own words
    pace_s: float                              # least time between two calls: the documented rate
    sandbox_key: Callable[[Any, str], str]  # (section, the user's key) -> the sandbox key that plays it
    prime: Callable[..., None] = lambda session, real: None
    catalog: Callable[[list[Any]], Mapping[str, tuple[object, str | None]]] | None = None
    profiles: tuple[str, ...] = ()             # the section's shape profiles, if it has them
    with_profile: Callable[[Any, str], Any] | None = None    # (section, profile) -> section


class SnapshotPart(Protocol):
    """A provider's state in a snapshot (mockserver/state/document.py): its snapshot.py module.
    ``backend`` is the provider's own; ``seq_of`` numbers a timeline event (None: not in the
    snapshot), ``tenant_of(record, field)`` reads a tenant. ``ACTIONS``: the backend methods a
    restored event may call."""

    @property
    def ACTIONS(self) -> frozenset[str]: ...

    def export_state(self, backend: Any, tenant: Tenant | None,
                     seq_of: Callable[[Event], int | None]) -> dict[str, Any]: ...

    def restore_state(self, backend: Any, record: Record, tenant: Tenant | None,
                      tenant_of: Callable[[Record, str], Tenant]) -> Restored[Any]: ...

    def count(self, backend: Any, tenant: Tenant | None) -> tuple[int, int]:
        """Its accounts and the numbers they hold (of the tenant, or everyone's)."""

    def refer(self, obj: object) -> dict[str, Any] | None:
        """An event's argument of its own, as JSON (None: not one of its objects)."""


class Provider(ABC, Generic[BackendT]):
    """A provider, over its backend's type (what build makes and the other methods are given)."""


    name: ClassVar[str]              # the scenario section, the journal's and the control API's name
    title: ClassVar[str]             # for people: "PVADeals v3"
    prefix: ClassVar[str]            # "/v3/api"
    noun: ClassVar[str]              # what the control API calls a number of it: "request", "number"
    routes: ClassVar[tuple[Route, ...]]
    errors: ClassVar[ErrorWire]
    invalid_json: ClassVar[str]              # the message for a body that is not JSON
    strict_slashes: ClassVar[bool] = True    # False: "/balance/" answers as "/balance" (Express)
    openapi_info: ClassVar[dict[str, Any]]   # title, version, description, security (or security_schemes)
    referred_schemas: ClassVar[tuple[type[Schema], ...]] = ()   # answers' parts referred to by name only
    state_schema: ClassVar[type[Schema]]     # its part of GET /_mock/state
    # Its scenario section: a frozen dataclass whose fields are declared with scenario/declare.py's
    # option(), which the file format, its JSON Schema and its reference are derived from.
    section: ClassVar[type]
    section_help: ClassVar[str]
    verification: ClassVar[Verification | None] = None      # how `mockserver verify` checks it
    # Further prefixes its routes are served under, each with path variables that reach the calls
    # as path arguments: "/<dialect>/stubs" serves "/herosms/stubs/handler_api.php" with
    # dialect="herosms" (one server answering the clients of several providers of one protocol).
    mounts: ClassVar[tuple[str, ...]] = ()
    # Its state in a snapshot (mockserver/state/document.py): a module with export_state,
    # restore_state (giving a restoring.Restored), count (accounts and numbers), refer (an event
    # argument of its own, as JSON) and ACTIONS (the backend methods a restored event may call).
    snapshot: ClassVar[SnapshotPart]

    @abstractmethod
    def build(self, section: Any, context: BuildContext) -> BackendT: ...

    def serves(self, path: str) -> bool:
        """Whether a request path is under its prefix or one of its mounts."""
        return self.local_path(path) is not None

    def local_path(self, path: str) -> str | None:
        """A request path below its prefix or mount ("/balance" of "/v3/api/balance"), or None."""
        for base in (self.prefix, *self.mounts):
            length = base_length(path, base)
            if length is not None:
                return path[length:]
        return None

    def variant(self, section: Any) -> str | None:
        """What of the section changes the shape of its answers (and so its OpenAPI document)."""
        return None

    # How the pipeline reads a request of its routes.
    def credentials(self, request: Request) -> str | None:
        """The API key a request presents, or None; read once per request, by the pipeline's front
        once the body is in (the journal and the report take it from there). By default an
        ``Authorization: Bearer`` token; a provider may read the query or a form body."""
        return bearer_token(request.headers)

    def parameters(self, request: Request) -> dict[str, str]:
        """A request's parameters, which a route's ``query`` schema reads and its ``when`` matches:
        by default the query string (a provider may add a form body, as PHP's $_REQUEST does)."""
        return request.args.to_dict()

    def refusal(self, section: Any, request: Request, status: int, message: str) -> tuple[int, object]:
        """How a refusal is answered (an unknown key, refused input, a backend's ProviderError):
        its status and body. By default as raised; a provider whose answers depend on the request
        (a dialect its path names: ``request.view_args``) decides here. A str body is text/plain."""
        return status, self.errors.body(status, message)

    # Steps of the pipeline a provider may add to every answer of its routes (Provynx's CORS).
    def preflight(self, section: Any) -> bool:
        """Whether an OPTIONS request is answered 204 before anything else (else 405)."""
        return False

    def answer_headers(self, section: Any, request: Request) -> dict[str, str]:
        """Headers every answer of its routes gets."""
        return {}

    # What the control API and the dashboard show.
    @abstractmethod
    def state(self, backend: BackendT, tenant: Tenant | None) -> dict[str, Any]: ...

    @abstractmethod
    def dashboard(self, backend: BackendT, clock: Clock) -> DashboardView: ...

    @abstractmethod
    def banner(self, section: Any, url: str) -> list[str]:
        """Its lines in `mockserver run`'s banner: base URL and keys (``url``: the server's)."""

    # What the client report (mockserver/report/rules/) reads of it.
    def expired(self, backend: BackendT, tenant: Tenant | None) -> list[Ended]:
        """Numbers (of the tenant, or everyone's) that ran out with no code while the client could
        still have given them back."""
        return []

    def bought(self, backend: BackendT, tenant: Tenant | None) -> list[Bought]:
        """Numbers (of the tenant, or everyone's) bought and still held in its state, each key's in
        the order they were bought, with the cancels of them; a provider that lists none makes no
        number-cycling finding."""
        return []

    def key_of(self, backend: BackendT, tenant: Tenant) -> str:
        """A key of the tenant's account, to name it by in the report (webhook findings)."""
        return tenant.account

    def try_it(self, section: Any, url: str) -> str | None:
        """A command a newcomer can paste to see it answer."""
        return None

    # Its webhook probe (engine/probe.py): deliveries that test the tenant's receiver.
    def probes(self, backend: BackendT, tenant: Tenant, now_ms: int) -> list[ProbeSpec]:
        """The probe kinds it sends (ProbeSpec), in order, to the tenant's webhook URL;
        NoWebhookUrl if the account has none."""
        raise NoWebhookUrl(f"{self.title} sends no webhooks")

    def webhook_policy(self, section: Any) -> RetryPolicy:
        """Its deliveries' timeout and retries (engine/webhooks.py RetryPolicy)."""
        return section.webhooks
