"""A module-level WSGI app for servers that import one (granian, gunicorn-style):
``granian --interface wsgi mockserver.wsgi:app``. Settings come from the environment."""
import os

from .app import create_app

app = create_app(os.environ.get("MOCKSERVER_SCENARIO", "default"),
                 journal_size=int(os.environ.get("MOCKSERVER_JOURNAL_SIZE", 1000)))
