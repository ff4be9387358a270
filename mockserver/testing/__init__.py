"""Testing utilities: a sandbox served on a free loopback port, a handle on its control API,
and a real webhook receiver. The pytest plugin is built from these; they work without it too."""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from mockserver.app import create_app
from mockserver.control.access import Access
from mockserver.http.serving import ServerThread
from mockserver.providers.registry import PROVIDERS
from mockserver.scenario import Scenario
from mockserver.settings import DEFAULT_LIMITS, Limits

START_TIMEOUT_S = 5.0
_ANSWER_CHUNK = memoryview(bytes(64 * 1024))     # what answer_size() sends, over and over


class MockServerError(RuntimeError):
    """A control call the server refused; ``status`` and ``message`` say why, and ``problems``
    lists each problem it found (a scenario's ``file:line: field: problem`` lines), which the
    message carries too, one per line."""

    def __init__(self, status: int, message: str, problems: list[str] | tuple[str, ...] = ()):
        self.problems = tuple(problems)
        self.status = status
        self.message = "\n".join([message, *(f"  {problem}" for problem in self.problems)])
        super().__init__(f"{status}: {self.message}")


class ServedSandbox:
    """The sandbox served by granian on 127.0.0.1 from a background thread of this process, as
    `mockserver run` serves it.

    Port 0 picks a free port, so parallel workers never collide; a server that does not answer
    its health check within a few seconds raises instead of hanging."""

    def __init__(self, scenario: Scenario | str = "default", *, host: str = "127.0.0.1", port: int = 0,
                 real_time: bool = True, limits: Limits = DEFAULT_LIMITS, access: Access | None = None):
        self.app = create_app(scenario, real_time=real_time, limits=limits, access=access)
        self.sandbox = self.app.extensions["mockserver"]
        try:
            self._server = ServerThread(self.app, limits, host=host, port=port)
        except OSError:
            self.sandbox.close()
            raise
        self.url = f"http://{host}:{self._server.port}"
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if requests.get(self.url + "/_mock/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"mockserver did not answer on {self.url} within {START_TIMEOUT_S} s")
            time.sleep(0.02)

    def close(self) -> None:
        self._server.close()
        self.sandbox.close()


class SmsMock:
    """A handle on a running sandbox, driven through its control API (/_mock). Each provider's
    base URL is an attribute named after it: ``pvadeals_url``, ``provynx_url``."""

    def __init__(self, url: str, *, session: requests.Session | None = None, admin_token: str | None = None):
        self.url = url.rstrip("/")
        for provider in PROVIDERS:
            setattr(self, f"{provider.name}_url", self.url + provider.prefix)
        self.http = session or requests.Session()
        token = admin_token or os.environ.get("MOCKSERVER_ADMIN_TOKEN")
        if token:
            self.http.headers["X-Admin-Token"] = token

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, f"{self.url}/_mock{path}", timeout=120, **kwargs)
        try:
            body = response.json()
        except ValueError:          # not mockserver answering (a proxy's page, another server)
            raise MockServerError(response.status_code, f"not a mockserver answer: {response.text[:200]!r}") from None
        if response.status_code >= 400:
            problems = body.get("problems") if isinstance(body, dict) else None
            raise MockServerError(response.status_code, body.get("error", response.text) if isinstance(body, dict)
                                  else response.text, problems if isinstance(problems, list) else ())
        return body

    # scenario and state
    def load(self, scenario: str | os.PathLike) -> dict:
        """Switch to a bundled scenario (by name) or a scenario file (by path), from a clean state."""
        path = Path(scenario)
        if path.suffix in (".yaml", ".yml") or path.is_file():
            return self._call("PUT", "/scenario", json={"path": str(path.resolve())})
        return self._call("PUT", "/scenario", json={"name": str(scenario)})

    def load_text(self, text: str | bytes) -> dict:
        """Switch to the scenario in ``text`` (YAML), from a clean state."""
        return self._call("PUT", "/scenario", data=text if isinstance(text, bytes) else text.encode(),
                          headers={"Content-Type": "application/yaml"})

    def scenario(self) -> dict:
        return self._call("GET", "/scenario")

    def reset(self, key: str | None = None) -> dict:
        return self._call("POST", "/reset", json={"key": key} if key else {})

    def state(self, key: str | None = None) -> dict:
        return self._call("GET", "/state", params={"key": key} if key else {})

    def snapshot(self, key: str | None = None) -> dict:
        """The whole state (or ``key``'s tenant's) as one JSON document, for restore() here or on
        another server: the same later requests then get the same answers."""
        return self._call("GET", "/snapshot", params={"key": key} if key else {})

    def restore(self, snapshot: dict) -> dict:
        """Back to a snapshot's state, all or nothing: {"status": "restored", "accounts": ...,
        "numbers": ..., "pending": ..., "now": ...}."""
        return self._call("PUT", "/snapshot", json=snapshot)

    # time
    def now(self, key: str | None = None) -> str:
        return self._call("GET", "/clock", params={"key": key} if key else {})["now"]

    def advance(self, duration: str | float, key: str | None = None) -> dict:
        """Move virtual time; everything that falls due runs (SMS, expiries, webhook retries) first."""
        return self._call("POST", "/clock", json={"advance": duration, **({"key": key} if key else {})})

    def set_time(self, instant: str, key: str | None = None) -> dict:
        return self._call("POST", "/clock", json={"set": instant, **({"key": key} if key else {})})

    def freeze(self, frozen: bool = True) -> dict:
        return self._call("POST", "/clock", json={"freeze": frozen})

    def set_webhook(self, key: str, url: str | None, secret: str | None = None) -> dict:
        """Point the account of ``key`` at a webhook receiver (until the next load or reset)."""
        return self._call("POST", "/webhook", json={"key": key, "url": url, **({"secret": secret} if secret else {})})

    # SMS, webhooks, journal
    def send_sms(self, id: str | None = None, *, number: str | None = None, text: str | None = None,
                 provider: str | None = None) -> dict:
        """Deliver an SMS now to a request/number, by id or phone number, of any provider (or of
        ``provider`` only)."""
        body = {**({"provider": provider} if provider else {}), **({"id": id} if id else {"number": number})}
        if text is not None:
            body["text"] = text
        return self._call("POST", "/sms", json=body)

    def webhooks(self, *, provider: str | None = None, event: str | None = None, key: str | None = None) -> list[dict]:
        query = {k: v for k, v in {"provider": provider, "event": event, "key": key}.items() if v}
        return self._call("GET", "/webhooks", params=query)["attempts"]

    def probe_webhooks(self, key: str) -> dict:
        """Test the webhook receiver of ``key``'s account (POST /_mock/webhooks/probe): one delivery
        of each probe kind, forged and genuine; ``["as_expected"]`` is True when it refused every
        forged one and accepted every genuine one, and ``["results"]`` has each verdict."""
        return self._call("POST", "/webhooks/probe", json={"key": key})

    def requests(self, **filters) -> list[dict]:
        """The request journal: provider, method, path (a glob), key, status, unmatched."""
        return self._call("GET", "/requests", params=_query(filters))["requests"]

    def count_requests(self, **filters) -> int:
        return self._call("GET", "/requests", params={**_query(filters), "count": "true"})["count"]

    def report(self, key: str | None = None) -> dict:
        """The client report (GET /_mock/report): {"findings": [...], "counts": {...}, "worst": ...},
        of every tenant or of ``key``'s."""
        return self._call("GET", "/report", params={"key": key} if key else {})


def _query(filters: dict) -> dict:
    return {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items() if v is not None}


class DeliveriesMissing(AssertionError):
    """WebhookReceiver.wait_for / wait_answered: fewer arrived than asked for within the timeout."""


def _event(delivery: dict) -> str | None:
    body = delivery["json"]
    return (body.get("event") or body.get("type")) if isinstance(body, dict) else None


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every delivery and can be told to fail.

    It runs on real time, as the receiver of a real provider's webhooks does: ``hold()`` and
    ``trickle()`` make the sandbox's outbox wait on it for real seconds."""

    def __init__(self) -> None:
        self.deliveries: list[dict] = []
        # Body bytes each answer_size() answer got out before it ended: all of them, or fewer
        # when the client closed the connection first.
        self.answered_bytes: list[int] = []
        self._fail_next = 0
        self._fail_status = 500
        self.delay_s = 0.0
        self._trickle_s: float | None = None
        self._answer_size: int | None = None
        self._answering = threading.Event()     # cleared by hold(): deliveries wait unanswered
        self._answering.set()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"       # keep-alive, as real receivers do

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._arrived:
                    try:
                        parsed = json.loads(body)
                    except ValueError:
                        parsed = None
                    receiver.deliveries.append({"path": self.path, "headers": dict(self.headers),
                                                "body": body, "json": parsed})
                    status = 204
                    if receiver._fail_next > 0:
                        receiver._fail_next -= 1
                        status = receiver._fail_status
                    receiver._arrived.notify_all()
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                receiver._answering.wait(60)
                if receiver._trickle_s is not None:
                    self._trickle(status, receiver._trickle_s)
                elif receiver._answer_size is not None:
                    self._answer_sized(200 if status == 204 else status, receiver._answer_size)
                else:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def _trickle(self, status: int, interval_s: float) -> None:
                head = f"HTTP/1.1 {status} {self.responses[status][0]}\r\nContent-Length: 0\r\n\r\n".encode()
                try:
                    for index in range(len(head)):
                        self.wfile.write(head[index:index + 1])
                        time.sleep(interval_s)
                except OSError:                 # the client gave up on the answer
                    self.close_connection = True

            def _answer_sized(self, status: int, size: int) -> None:
                head = (f"HTTP/1.1 {status} {self.responses[status][0]}\r\nContent-Length: {size}\r\n"
                        "Content-Type: application/octet-stream\r\n\r\n").encode()
                sent = 0
                try:
                    self.wfile.write(head)
                    while sent < size:
                        piece = _ANSWER_CHUNK[:min(len(_ANSWER_CHUNK), size - sent)]
                        self.wfile.write(piece)
                        sent += len(piece)
                except OSError:                 # the client closed the connection before the end
                    self.close_connection = True
                with receiver._arrived:
                    receiver.answered_bytes.append(sent)
                    receiver._arrived.notify_all()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` deliveries with ``status`` (then 204 again)."""
        with self._arrived:
            self._fail_next, self._fail_status = count, status

    def hold(self) -> None:
        """Accept deliveries but answer none until release() (or 60 s): a receiver that hangs.
        While held, anything that waits for the outbox to settle (``SmsMock.advance``, which lets
        due webhooks go out before it returns) waits on this receiver in real time, up to the
        delivery timeout, printing nothing: release() before advancing, or expect the wait."""
        self._answering.clear()

    def release(self) -> None:
        """Answer again, the held deliveries first."""
        self._answering.set()

    def trickle(self, interval_s: float | None) -> None:
        """Answer the status line and headers one byte every ``interval_s`` real seconds (None: at
        once again): a receiver that crawls, to see the sandbox's delivery timeout end the attempt."""
        self._trickle_s = interval_s

    def answer_size(self, size: int | None) -> None:
        """Answer 200 with a body of ``size`` bytes, streamed in chunks and never held whole (None:
        empty 204 answers again). ``answered_bytes`` says how much of each answer got out."""
        self._answer_size = size

    def wait_answered(self, count: int, timeout_s: float = 10, *, allow_fewer: bool = False) -> list[int]:
        """``answered_bytes``, once at least ``count`` sized answers have ended (real network time).
        Fewer by ``timeout_s``: raises DeliveriesMissing, or returns them with ``allow_fewer``."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.answered_bytes) >= count, timeout=timeout_s) \
                    and not allow_fewer:
                raise DeliveriesMissing(f"waited {timeout_s:g} s for {count} sized answer(s) to end; "
                                        f"{len(self.answered_bytes)} did: {self.answered_bytes}")
            return list(self.answered_bytes)

    def wait_for(self, count: int, timeout_s: float = 10, *, allow_fewer: bool = False) -> list[dict]:
        """The deliveries, once at least ``count`` have arrived (real network time: webhooks are
        posted by the server's outbox threads after the virtual clock makes them due). Fewer by
        ``timeout_s``: raises DeliveriesMissing saying what came, or returns them with ``allow_fewer``."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.deliveries) >= count, timeout=timeout_s) \
                    and not allow_fewer:
                got = [(d["path"], _event(d)) for d in self.deliveries]
                raise DeliveriesMissing(f"waited {timeout_s:g} s for {count} webhook deliver{'y' if count == 1 else 'ies'};"
                                        f" {len(got)} arrived (path, event): {got}")
            return list(self.deliveries)

    def events(self) -> list[str]:
        """The event name of each delivery so far whose body is a JSON object, in arrival order."""
        return [_event(d) for d in self.deliveries if isinstance(d["json"], dict)]

    def clear(self) -> None:
        """Forget every delivery and answer so far, and any fail_next still pending."""
        with self._arrived:
            self.deliveries.clear()
            self.answered_bytes.clear()
            self._fail_next = 0

    def close(self) -> None:
        """Stop the receiver (the fixture does this at the end of the test)."""
        self.release()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running(scenario: Scenario | str = "default", *, limits: Limits = DEFAULT_LIMITS,
            access: Access | None = None) -> Iterator[SmsMock]:
    """A sandbox served on a free 127.0.0.1 port for the ``with`` block, for code outside pytest
    (unittest, scripts, notebooks): the handle the ``sms_mock`` fixture gives (``url``,
    ``pvadeals_url``, ``advance()``, ...), the server stopped on the way out. ``scenario``: a
    bundled name, a file's path, or a loaded Scenario."""
    served = ServedSandbox(scenario, limits=limits, access=access)
    handle = SmsMock(served.url)
    try:
        yield handle
    finally:
        handle.http.close()
        served.close()
