"""Module-level apps for servers that import one. `mockserver run` (granian) serves ``rsgi_app``:
``granian --interface rsgi --http 1 mockserver.wsgi:rsgi_app``, which reads each body before the
WSGI ``app`` runs (serving.BufferedBodies says why granian's own WSGI interface is not used). Settings come from the environment, which is how `mockserver run` hands them to the
server's worker process."""
import os
from dataclasses import replace

from mockserver.control.access import Access
from mockserver.http import requestlog
from mockserver.http.app import answered_at_once, create_app
from mockserver.http.serving import BufferedBodies, settle_collector
from mockserver.scenario import load_scenario
from mockserver.settings import Limits

_limits = Limits.from_environ()
_scenario = load_scenario(os.environ.get("MOCKSERVER_SCENARIO", "default"), limits=_limits)
if os.environ.get("MOCKSERVER_FROZEN") == "1":
    _scenario = replace(_scenario, clock_frozen=True)
_flask_app = create_app(_scenario, limits=_limits, access=Access.from_environ())
app = requestlog.wrap(_flask_app, os.environ.get("MOCKSERVER_LOG_REQUESTS", requestlog.LOG_NOTHING))
# Worker threads running the app (mockserver run --threads).
rsgi_app = BufferedBodies(app, _limits, threads=int(os.environ.get("MOCKSERVER_THREADS") or 8),
                          on_loop=answered_at_once(_flask_app))
# This module is imported by the server process that serves it.
settle_collector()
