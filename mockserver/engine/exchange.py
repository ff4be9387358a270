"""One provider request's story, from its bytes to its journal entry.

The HTTP pipeline (http/pipeline.py) fills an ``Exchange`` as it goes (who asked, which route took
it, what was read, what was answered) and, once the answer is decided, hands it to one recorder
(``Sandbox.record``) that feeds the journal and the client report's rules. Nothing about a request
travels any other way: a new fact a rule needs is one field here and the one place in the
pipeline that learns it. Text is kept as sent; the journal bounds what it keeps. No Flask."""
from __future__ import annotations

from dataclasses import dataclass

from mockserver.engine.ratelimit import Rejection
from mockserver.engine.tenants import TenantKey


@dataclass(slots=True)
class Exchange:
    # What the client sent.
    method: str
    path: str                            # the path as the server gave it (WSGI's PATH_INFO)
    query: str = ""
    host: str | None = None              # the host name the client asked for (Host header)
    key: str | None = None               # the API key it presented (Provider.credentials), read once
    body: bytes = b""                    # the body, read once within its API's limit
    body_json: object = None             # the body parsed as JSON, once, for a route that reads one
    body_is_json: bool = False           # whether it parsed (else what needs it uses the bytes)
    # Who and what took it.
    at_ms: int = 0                       # the clock when the request came in (the tenant's, once known)
    provider: str | None = None          # the provider whose prefix the path is under
    tenant: TenantKey | None = None      # known once the key authenticated
    route: str | None = None             # the route's name; None when no route took it
    kind: str | None = None              # the route's kind for the report: "purchase", "poll", "release"
    target: str | None = None            # the id in the route's path, if it has one
    retry_header: str | None = None      # the route's header that makes a repeat safe (an idempotency key)
    retry_value: str | None = None       # that header's value as sent
    input: object = None                 # the validated body or query
    ignored: tuple[str, ...] = ()        # body fields the API ignored (the journal lists them)
    ignored_query: tuple[str, ...] = ()  # query names the API ignored, as "?name" (the report notes them)
    # What came of it.
    status: int = 500
    answer: object = None                # what the backend call returned, before its dump
    rejection: Rejection | None = None   # the rate limit's, for a 429
    refused: bool = False                # the provider refused it, whatever the status (sms-activate answers 200)
    dropped: bool = False                # the connection was broken on purpose (a fault)
    fault: str | None = None             # the scenario fault that shaped the answer: kind and rule ("reset #2")
    happened: bool | None = None         # under a fault: whether the backend call ran (a purchase made)
    broken: bool = False                 # a fault broke or changed the answer (engine/faults.py BROKEN)
    mutated: bool = False                # a fault changed the answer's fields (schema drift)
    done: bool = False                   # a poll whose answer showed the number finished
    duration_ms: float = 0.0
    matched: bool = True                 # False when no route of any API took the path
