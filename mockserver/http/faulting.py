"""Carrying out a scenario fault's answer (engine/faults.py says which): the answer the pipeline
made, given to the client as the fault says. Any answer (a proxy's HTML page) and a cut body are
well-formed HTTP, so Flask sends them; an empty reply, garbage, a reset and a trickle are written
below HTTP, on the client's own socket (rawwire.py), by the answer's body as the server sends it
(so on the server's thread for the request, never under the state lock).

The pipeline calls ``note`` and ``instead`` before the backend call (a fault that answers without
it) and ``shaped`` on the answer it made; nothing else of it knows the kinds."""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

from mockserver.engine import faults
from mockserver.engine.exchange import Exchange
from mockserver.engine.faults import Taken
from mockserver.engine.mutations import mutated
from mockserver.http import rawwire
from mockserver.http.wire import DroppedConnection

# A virtual-clock trickle: the clock of the request's tenant, in seconds.
Clock = Callable[[], float]


def note(exchange: Exchange, taken: Taken) -> None:
    """What the journal and the client report learn of the fault: which, whether the call ran,
    whether the client got an answer it can use."""
    kind = taken.rule.kind
    exchange.fault, exchange.happened = taken.label, taken.rule.happened
    exchange.broken, exchange.mutated = kind in faults.BROKEN, kind == faults.MUTATE
    exchange.dropped = exchange.dropped or kind in faults.CUT_OFF


def instead(taken: Taken) -> Response | None:
    """The answer of a fault that answers without the backend call (any answer; garbage or an
    empty reply unless it ``happens``); None when the call runs."""
    rule = taken.rule
    if rule.canned is not None:
        canned = rule.canned
        response = Response(canned.body, status=canned.status, content_type=canned.content_type)
        for name, value in canned.headers:
            response.headers[name] = value
        return response
    if rule.kind in (faults.GARBAGE, faults.EMPTY) and not rule.happened:
        return shaped(taken, Response(status=200), None, 0)
    return None


def shaped(taken: Taken, response: Response, virtual_clock: Clock | None, patience_s: float) -> Response:
    """``response`` (the real answer) as the fault gives it to the client. ``virtual_clock``: the
    tenant's clock for a trickle that follows it; ``patience_s``: how long (real time) such a
    trickle waits for the clock to be moved before it gives up with a reset."""
    rule, kind = taken.rule, taken.rule.kind
    if kind == faults.MUTATE:
        return _mutated(response, rule.mutations)
    if kind == faults.CUT:
        body = response.get_data()[:rule.cut]
        response.set_data(body)            # and Content-Length: the length of what is sent
        return response
    if kind == faults.GARBAGE:
        return _raw(response.status_code, taken.garbage(), "close")
    if kind == faults.EMPTY:
        return _raw(response.status_code, b"", "close")
    if kind in (faults.RESET, faults.TRICKLE):
        head = rawwire.head_bytes(response.status_code, HTTP_STATUS_CODES.get(response.status_code, ""),
                                  [*response.headers.items(), ("Connection", "close")])
        body = response.get_data()
        if kind == faults.RESET:
            return _raw(response.status_code, head + body[:rule.reset], "reset")
        clock = virtual_clock if rule.trickle_clock == faults.VIRTUAL and virtual_clock is not None else None
        return _raw(response.status_code, head + body, "close", first=len(head), trickle_s=(rule.trickle_ms or 0) / 1000,
                    clock_s=clock, patience_s=patience_s)
    return response


def _mutated(response: Response, mutations) -> Response:
    """The JSON answer with its mutations; an answer of text (a protocol of tokens) as it is."""
    if not response.is_json:
        return response
    try:
        answer = json.loads(response.get_data())
    except ValueError:
        return response
    response.set_data(json.dumps(mutated(answer, mutations), separators=(",", ":"), ensure_ascii=False).encode())
    return response


class _RawAnswer(Response):
    """An answer whose body, as the server sends it, writes bytes on the client's socket itself
    and ends the connection; the server's own writes then go nowhere. Its status and headers are
    never sent: what the journal records of it is the status of the answer it carries."""

    def __init__(self, status: int, write: Callable[[dict], Iterator[bytes]]):
        super().__init__(status=status, headers={"Content-Length": "4096"}, mimetype="application/octet-stream")
        self._write = write

    def get_app_iter(self, environ: dict) -> Iterator[bytes]:
        return self._write(environ)


def _raw(status: int, data: bytes, end: str, *, first: int = 0, trickle_s: float = 0.0,
         clock_s: Clock | None = None, patience_s: float = 0.0) -> Response:
    def write(environ: dict) -> Iterator[bytes]:
        # The client's address, as the WSGI server gives it (waitress, and the granian front).
        port = environ.get("REMOTE_PORT", "")
        client = rawwire.client_socket(environ.get("REMOTE_ADDR", ""), int(port)) if str(port).isdigit() else None
        if client is None:
            # No socket to write on (not Linux): the nearest HTTP allows, a connection broken mid-answer.
            yield b'{"'
            raise DroppedConnection("fault: connection broken")
        rawwire.send(client, data, end=end, trickle_s=trickle_s, first=first, clock_s=clock_s or time.monotonic,
                     patience_s=patience_s if clock_s is not None else 0.0)
        raise DroppedConnection("fault: written on the wire")
    return _RawAnswer(status, write)
