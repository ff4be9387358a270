"""create_app: one Flask app serving every registered provider and the control API around a Sandbox."""
from __future__ import annotations

import re
from functools import partial
from typing import cast

from flask import Blueprint, Flask, Response, request

from mockserver.control import schemas as control_schemas
from mockserver.control.access import Access
from mockserver.control.views import PREFIX as CONTROL_PREFIX
from mockserver.control.views import bp as control_bp
from mockserver.dashboard import bp as dashboard_bp
from mockserver.dashboard.index import bp as index_bp
from mockserver.engine.redaction import redacting_logger
from mockserver.http.pipeline import Front, view_for
from mockserver.http.realhosts import RealHostFront
from mockserver.http.wire import ErrorShapes, Request, install_error_shapes
from mockserver.loading import load_scenario
from mockserver.providers.contract import Provider, Route
from mockserver.providers.registry import PROVIDERS
from mockserver.providers.shapes import status_text
from mockserver.sandbox import Sandbox
from mockserver.scenario import Scenario
from mockserver.settings import DEFAULT_LIMITS, Limits


class _App(Flask):
    """Flask, with the app's own request (wire.Request: its body and Exchange) and every request
    passing the pipeline's front first."""
    request_class = Request
    front: Front

    def full_dispatch_request(self) -> Response:
        return self.front.serve(cast(Request, request), super().full_dispatch_request)


def create_app(scenario: Scenario | str = "default", *, real_time: bool = True,
               sandbox: Sandbox | None = None, limits: Limits = DEFAULT_LIMITS,
               access: Access | None = None) -> Flask:
    """The WSGI app. ``scenario`` is a loaded Scenario, a bundled name or a path.

    ``real_time=False`` starts no runner thread: events then run only when a request
    arrives or the clock is moved, which suits in-process tests that drive time themselves.
    ``access`` (default: from the environment) says who may drive the control API.
    """
    if sandbox is None:
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, limits=limits)
        sandbox = Sandbox(loaded, real_time=real_time, limits=limits)
    app = _App(__name__, static_folder=None)      # no /static: nothing is served from this folder
    # What a WSGI server, Flask and the sandbox log by these names holds no secret.
    for name in ("mockserver", "waitress", app.name):
        redacting_logger(name)
    # Set before any route exists: both are read when a route is added. An OPTIONS request is
    # answered by a provider (a CORS preflight) or as a wrong method, never by Flask's empty 200
    # page; "//" in a path is no route (a client's bug), not a redirect to a page.
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    app.url_map.merge_slashes = False
    app.extensions["mockserver"] = sandbox
    app.extensions["mockserver_access"] = access if access is not None else Access.from_environ()
    for provider in PROVIDERS:
        for index, base in enumerate((provider.prefix, *provider.mounts)):
            app.register_blueprint(_blueprint(provider, base, provider.name if index == 0 else f"{provider.name}{index}"))
    app.register_blueprint(control_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(index_bp)
    shapes = ErrorShapes(
        {**{base: _route_errors(p) for p in PROVIDERS for base in (p.prefix, *p.mounts)},
         CONTROL_PREFIX: lambda status: control_schemas.error_body(status, status_text(status))},
        default=lambda status: {"error": status_text(status), "status": status},
        headers={base: partial(_answer_headers, p, sandbox) for p in PROVIDERS for base in (p.prefix, *p.mounts)},
    )
    install_error_shapes(app, shapes)
    app.front = Front(sandbox, shapes, CONTROL_PREFIX)
    app.wsgi_app = RealHostFront(app.wsgi_app, sandbox, CONTROL_PREFIX)     # type: ignore[method-assign]
    return app


def _blueprint(provider: Provider, base: str, name: str) -> Blueprint:
    """A provider's routes under one of its bases (its prefix, or a mount), each a view running
    the request pipeline. Every route takes OPTIONS too, so the pipeline answers it (a preflight,
    or 405 in the provider's shape). Routes sharing a method and a path are one view that picks
    the route by the request's parameters (Route.when)."""
    blueprint = Blueprint(name, __name__, url_prefix=base)
    shared: dict[tuple[str, str], list[Route]] = {}
    for route in provider.routes:
        shared.setdefault((route.method, route.path), []).append(route)
    for (method, path), routes in shared.items():
        if len(routes) == 1 and not routes[0].when:
            endpoint, view = routes[0].name, view_for(provider, routes[0])
        else:
            endpoint, view = method.lower() + re.sub(r"\W", "_", path), _chosen_by_parameters(provider, routes)
        blueprint.add_url_rule(path, endpoint=endpoint, view_func=view, methods=[method, "OPTIONS"],
                               provide_automatic_options=False, strict_slashes=provider.strict_slashes)
    return blueprint


def _chosen_by_parameters(provider: Provider, routes: list[Route]):
    """One view for routes that share a method and a path: the first whose ``when`` the
    request's parameters hold runs; else the one without ``when`` (there is one at most)."""
    chosen = [(route.when, view_for(provider, route)) for route in routes if route.when]
    fallback = next((view_for(provider, route) for route in routes if not route.when), None)
    if fallback is None:
        raise ValueError(f"{provider.name}: routes sharing a path need one without `when`, for the rest")

    def view(**path_args):
        parameters = provider.parameters(request)
        for when, picked in chosen:
            if all(parameters.get(name) == value for name, value in when.items()):
                return picked(**path_args)
        return fallback(**path_args)
    return view


def _route_errors(provider: Provider):
    return lambda status: provider.errors.for_status(status, status_text(status))


def _answer_headers(provider: Provider, sandbox: Sandbox, request) -> dict:
    """The headers a provider adds to every answer, for the answers no route gave."""
    return provider.answer_headers(sandbox.scenario.section(provider.name), request)
