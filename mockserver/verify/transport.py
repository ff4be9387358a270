"""How a call reaches its target: a real API over HTTP, the sandbox in this process, or a
recording of a real API's answers."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode, urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]            # names lower-cased
    body: bytes = b""


class Transport(Protocol):
    def send(self, name: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        """``name``: the script step's, which a recording files the answer under."""


def target(path: str, query: dict | None) -> str:
    return f"{path}?{urlencode(query)}" if query else path


class CouldNotReach(Exception):
    """The target did not answer (refused, timed out, broke the connection)."""


class Http:
    """A real API at ``base_url``. Redirects are not followed: an answer is what the URL gives."""

    def __init__(self, base_url: str, *, timeout_s: float, max_answer_bytes: int):
        self._base = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._max = max_answer_bytes
        # Imported here: only a verification against a real API needs requests, and every server
        # imports this module (about 40 ms of a cold start).
        import requests
        self._errors = requests.RequestException
        self._session = requests.Session()
        self._session.trust_env = False        # no proxy from the environment sees the key

    def send(self, name, method, path, headers, body):
        try:
            with self._session.request(method, self._base + path, headers=headers, data=body,
                                       timeout=self._timeout_s, allow_redirects=False, stream=True) as response:
                content = response.raw.read(self._max + 1, decode_content=True)
                if len(content) > self._max:
                    raise CouldNotReach(f"{method} {path}: the answer is larger than {self._max} bytes")
                return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, content)
        except self._errors as exc:
            host = urlsplit(self._base).netloc
            raise CouldNotReach(f"{method} {path}: could not reach {host}: {self._why(exc)}; check --base-url and "
                                "this machine's network (or proxy); --replay DIR verifies against a recording "
                                "offline") from exc

    def _why(self, exc) -> str:
        """What went wrong, in words: requests wraps the cause (urllib3's) in its own exception."""
        import requests
        if isinstance(exc, requests.Timeout):
            return f"no answer within {self._timeout_s:g} s"
        if isinstance(exc, requests.exceptions.SSLError):
            return "the TLS handshake failed (a certificate this machine does not trust?)"
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        text = str(reason or exc)
        if "NameResolution" in type(reason).__name__ or "resolve" in text or "not known" in text:
            return "its name does not resolve"
        if "refused" in text.lower():
            return "the connection was refused (nothing listens there)"
        return type(reason or exc).__name__


class InProcess:
    """The sandbox's app, called without a socket: the same pipeline a client reaches."""

    def __init__(self, app, prefix: str):
        self._client = app.test_client()
        self._prefix = prefix

    def send(self, name, method, path, headers, body):
        response = self._client.open(self._prefix + path, method=method, headers=headers, data=body,
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"})
        return Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.data)


@dataclass
class Recorder:
    """Passes calls to ``inner`` and keeps the answers, to be written to a folder."""
    inner: Transport
    redact: object                              # str -> str
    kept: list[dict] = field(default_factory=list)

    def send(self, name, method, path, headers, body):
        answer = self.inner.send(name, method, path, headers, body)
        self.kept.append({"name": name, "method": method, "path": self.redact(path), "status": answer.status,
                          "headers": {k: self.redact(v) for k, v in answer.headers.items()
                                      if k in RECORDED_HEADERS},
                          "body": self.redact(answer.body.decode("utf-8", "replace"))})
        return answer

    def write(self, folder: Path, *, key: str | None) -> Path:
        """``key``: the key as it may be shown (its kind's prefix only), which a replay acts as."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / RECORDING
        path.write_text(json.dumps({"version": 1, "key": key, "answers": self.kept}, indent=2, ensure_ascii=False))
        return path


RECORDING = "answers.json"
RECORDED_HEADERS = ("content-type", "retry-after")


class Replay:
    """A recording's answers, in the order they were given, matched by step name."""

    def __init__(self, folder: Path):
        try:
            data = json.loads((folder / RECORDING).read_text())
            self._answers = list(data["answers"])
            self.key = data.get("key") or ""
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CouldNotReach(f"no recording to replay in {folder} ({type(exc).__name__})") from exc

    def send(self, name, method, path, headers, body):
        for index, kept in enumerate(self._answers):
            if kept["name"] == name and kept["method"] == method:
                del self._answers[index]
                return Answer(kept["status"], dict(kept["headers"]), kept["body"].encode("utf-8"))
        raise CouldNotReach(f"{method} {path}: the recording has no answer for step {name!r}")
