"""The first thing every request meets: its body is read here, within the limit of the API it is
for, before anything else reads it (Flask, the journal, a JSON parser). A body over the limit is
answered 413 in that API's error shape without being read; a body sent without a length
(chunked) is read up to one byte past the limit, never further."""
from __future__ import annotations

import io
from .wire import ErrorShapes, json_response

BODY = "mockserver.body"      # the request body as read here, for the journal


class BodyLimit:
    def __init__(self, app, shapes: ErrorShapes, limits: dict[str | None, int]):
        self._app = app
        self._shapes = shapes
        self._limits = limits                # API prefix (None: any other path) -> bytes allowed

    def __call__(self, environ, start_response):
        declared = environ.get("CONTENT_LENGTH") or ""
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if (not declared or declared == "0") and not chunked:     # no body: nothing to read, nor to hand on
            environ[BODY] = b""
            return self._app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        prefix = self._shapes.prefix_of(path)
        limit = self._limits.get(prefix, self._limits[None])
        stream = environ.get("wsgi.input")
        if declared.isdigit() and int(declared) > limit:
            return self._too_large(environ, start_response, path)
        if declared.isdigit() and stream is not None:
            raw = stream.read(int(declared))
        elif chunked and stream is not None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                return self._too_large(environ, start_response, path)
        else:
            raw = b""
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        environ[BODY] = raw
        return self._app(environ, start_response)

    def _too_large(self, environ, start_response, path: str):
        environ[BODY] = b""
        return json_response(self._shapes.for_path(path)(413), 413)(environ, start_response)
