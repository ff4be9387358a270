"""GET /: what this server serves, as a small JSON index, for whoever opens its bare URL (a
person, or a tool finding its way) rather than a 404. Paths, not URLs: they hold under whatever
name the server was reached by."""
from __future__ import annotations

from flask import Blueprint, abort, request

from mockserver import __version__
from mockserver.control.views import PREFIX as CONTROL_PREFIX
from mockserver.control.views import document_path
from mockserver.dashboard import PAGE_PATH as DASHBOARD_PATH
from mockserver.http.wire import json_response
from mockserver.providers.registry import PROVIDERS

bp = Blueprint("index", __name__)


# Werkzeug matches "//" and "///" to the rule "/" too (redirecting the one, answering the other),
# whatever merge_slashes says: those are a client's bug, a 404 as under every API prefix.
@bp.get("/", strict_slashes=False)
def index():
    if request.environ.get("PATH_INFO") != "/":      # request.path drops the extra slashes
        abort(404)
    return json_response({
        "name": "mockserver",
        "version": __version__,
        "providers": [{"name": provider.name, "title": provider.title, "base_path": provider.prefix,
                       "openapi": document_path(provider.name)} for provider in PROVIDERS],
        "control": {"base_path": CONTROL_PREFIX, "openapi": document_path("control"),
                    "health": f"{CONTROL_PREFIX}/health"},
        "dashboard": DASHBOARD_PATH,
    })
