"""The sandbox as a plain WSGI app, ``mockserver.wsgi:app``, for whoever runs it under a WSGI server
of their choice (gunicorn, waitress, uWSGI, ...); `mockserver run` serves the same app with granian.
Settings come from the environment: MOCKSERVER_SCENARIO (a bundled name or a path),
MOCKSERVER_FROZEN=1, MOCKSERVER_LOG_REQUESTS (0, 1 or all) and each limit's MOCKSERVER_<NAME>.

Run it with one process (gunicorn's ``--workers 1``, its default): the sandbox's state lives in
the process that serves it. The body read deadline (408) and the bounds on connections are
`mockserver run`'s front's; under another server its own settings for them apply."""
import os
from dataclasses import replace

from mockserver.app import create_app
from mockserver.cli import requestlog
from mockserver.control.access import Access
from mockserver.loading import load_scenario
from mockserver.settings import Limits

_limits = Limits.from_environ()
_scenario = load_scenario(os.environ.get("MOCKSERVER_SCENARIO", "default"), limits=_limits)
if os.environ.get("MOCKSERVER_FROZEN") == "1":
    _scenario = replace(_scenario, clock_frozen=True)
app = requestlog.wrap(create_app(_scenario, limits=_limits, access=Access.from_environ()),
                      os.environ.get("MOCKSERVER_LOG_REQUESTS", requestlog.LOG_NOTHING))
