"""The first thing every request meets: its body is read here, within the limit of the API it is
for, before anything else reads it (Flask, the journal, a JSON parser). A body over the limit is
answered 413 in that API's error shape without being read; a body without a numeric length
(chunked, a Transfer-Encoding list, HTTP/2) is read up to one byte past the limit, never further.
A body shorter than its Content-Length (the client stopped sending) is answered 400, and one
that did not arrive in time (granian: serving.BufferedBodies) 408, both unrun."""
from __future__ import annotations

import io

from mockserver.http.serving import BODY_LATE
from mockserver.http.wire import BODY, ErrorShapes, answer_response


class BodyLimit:
    def __init__(self, app, shapes: ErrorShapes, limits: dict[str | None, int], paths: dict[str, int] | None = None):
        self._app = app
        self._shapes = shapes
        self._limits = limits                # API prefix (None: any other path) -> bytes allowed
        self._paths = paths or {}            # a path with a limit of its own (a snapshot) -> bytes allowed

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get(BODY_LATE):
            return self._refuse(environ, start_response, path, 408)
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        stream = environ.get("wsgi.input")
        if declared == "0" or stream is None:      # no body: nothing to read, nor to hand on
            environ[BODY] = b""
            return self._app(environ, start_response)
        limit = self._paths.get(path)
        if limit is None:
            limit = self._limits.get(self._shapes.prefix_of(path), self._limits[None])
        if declared.isdigit():
            if int(declared) > limit:
                return self._refuse(environ, start_response, path, 413)
            raw = stream.read(int(declared))
            if len(raw) != int(declared):     # the client stopped short: never run half a body
                return self._refuse(environ, start_response, path, 400)
        else:
            # No length to trust (none, chunked or any Transfer-Encoding list, HTTP/2): whatever
            # arrives is the body, read one byte past the limit at most. Without a body, the
            # server's stream is empty and this returns at once.
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                return self._refuse(environ, start_response, path, 413)
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        environ.pop("HTTP_TRANSFER_ENCODING", None)     # read here: what follows sees a plain length
        environ[BODY] = raw
        return self._app(environ, start_response)

    def _refuse(self, environ, start_response, path: str, status: int):
        environ[BODY] = b""
        return answer_response(self._shapes.for_path(path)(status), status)(environ, start_response)
