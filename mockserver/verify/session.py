"""One side's run of a provider's verify script: its key, its pace, and every exchange made."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from mockserver.verify.transport import Answer, Transport, target

_OWN_KEY = object()       # a call made with the side's own key


@dataclass
class Exchange:
    """One step of the script, as one side answered it."""
    name: str                 # the step: "balance", "unknown request"...
    route: str | None         # the sandbox route it exercises ("GET /request/<id>"); None: none on purpose
    method: str
    path: str                 # as sent, below the API's base
    answer: Answer

    @property
    def status(self) -> int:
        return self.answer.status

    @property
    def content_type(self) -> str:
        return self.answer.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self):
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.answer.body)
        except ValueError:
            return None


class StopVerifying(Exception):
    """The run cannot go on: the real API refused the key, or spending was not allowed."""


class Session:
    """What a script calls. ``pace_s``: the least time between two calls (the provider's rate);
    ``stop_on_401``: a 401 the step did not ask for ends the run (the key is wrong)."""

    def __init__(self, side: str, transport: Transport, key: str, *, pace_s: float = 0.0,
                 stop_on_401: bool = False, may_spend: Callable[[str], bool] = lambda cost: True,
                 clock=time.monotonic, sleep=time.sleep):
        self.side = side
        self.key = key
        self.exchanges: list[Exchange] = []
        self._transport = transport
        self._pace_s = pace_s
        self._stop_on_401 = stop_on_401
        self._may_spend = may_spend
        self._clock, self._sleep = clock, sleep
        self._last_call: float | None = None

    def call(self, name: str, method: str, route: str | None, *, query: dict | None = None, json_body=None,
             key=_OWN_KEY, unauthorized: bool = False, **path_args: str) -> Exchange:
        """One step: ``route`` in werkzeug syntax below the API's prefix, ``path_args`` filling it
        (a route of None is called as ``path_args["path"]``). ``unauthorized``: the step expects
        a 401 (it sends no key or a wrong one)."""
        path = path_args.pop("path", None)
        if not path:
            assert route is not None        # a step without a route names its path
            path = _fill(route.split(" ", 1)[1], path_args)
        headers = {"Accept": "application/json"}
        use_key = self.key if key is _OWN_KEY else key
        if use_key is not None:
            headers["Authorization"] = f"Bearer {use_key}"
        body = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(json_body).encode("utf-8")
        self._wait_for_pace()
        answer = self._transport.send(name, method, target(path, query), headers, body)
        exchange = Exchange(name, route, method, target(path, query), answer)
        self.exchanges.append(exchange)
        if self._stop_on_401 and answer.status == 401 and not unauthorized:
            raise StopVerifying(f"the {self.side} API refused the key (401 on {method} {path}): check the key "
                                "and the base URL; nothing more was sent")
        return exchange

    def spend(self, what: str) -> None:
        """Before a call that costs money: go on only if the user allowed it."""
        if not self._may_spend(what):
            raise StopVerifying(f"not allowed to spend: {what}")

    def _wait_for_pace(self) -> None:
        if self._pace_s and self._last_call is not None:
            wait = self._last_call + self._pace_s - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_call = self._clock()


def _fill(route_path: str, args: dict[str, str]) -> str:
    for name, value in args.items():
        route_path = route_path.replace(f"<{name}>", value)
    return route_path
