"""pytest plugin (registered through the pytest11 entry point): a mockserver for your tests.

Fixtures:
- ``sms_mock``: a server for the whole session (one per xdist worker), on the test's scenario
  and reset before each test; a :class:`mockserver.testing.SmsMock` with ``url``.
- ``sms_mock_inprocess``: the same handle on an app reached without any socket
  (``http://mockserver.local``, through wsgi-intercept, for requests, urllib3, urllib.request and
  http.client; ``httpx_transport()`` and ``httpx_async_transport()`` for httpx), for sandboxes
  with no network. The providers' real ``https://`` addresses reach it too, from those clients
  and from httpx without a transport (testing/realhosts.py). aiohttp cannot be intercepted: use
  ``sms_mock``.
- ``webhook_receiver``: a real local HTTP receiver that records deliveries and can fail.

Scenario: ``@pytest.mark.sms_scenario("name-or-path")`` (a file next to the test), else
``--sms-scenario`` (from the current folder or the rootdir), else the ini option
``sms_mock_scenario`` (from the rootdir), else ``default``.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockserver.report import terminal as pytest_report

# The sandbox, the app, requests and the rest are imported by the fixtures that use them, not
# here: pytest loads this plugin (through its entry point) in every session of every project
# that has mockserver installed, most of which never ask for a fixture of it.
if TYPE_CHECKING:
    from mockserver.testing import SmsMock


@cache
def _in_process_mock_class():
    from mockserver.testing import SmsMock, inprocess

    class InProcessSmsMock(SmsMock):
        """SmsMock on an app reached without a socket, with httpx transports to it."""

        def __init__(self, app, url: str, **kwargs):
            super().__init__(url, **kwargs)
            self.app = app

        def httpx_transport(self):
            """For ``httpx.Client(transport=sms_mock_inprocess.httpx_transport())``."""
            return inprocess.httpx_transport(self.app)

        def httpx_async_transport(self):
            """For ``httpx.AsyncClient(transport=sms_mock_inprocess.httpx_async_transport())``."""
            return inprocess.httpx_async_transport(self.app)
    return InProcessSmsMock


def pytest_addoption(parser):
    group = parser.getgroup("mockserver", "SMS provider sandbox")
    group.addoption("--sms-scenario", default=None, metavar="NAME|PATH",
                    help="mockserver scenario for tests without an sms_scenario marker")
    parser.addini("sms_mock_scenario", "mockserver scenario for tests without an sms_scenario marker",
                  default="default")
    pytest_report.add_options(parser, group)


def pytest_configure(config):
    pytest_report.configure(config)
    config.addinivalue_line("markers", "sms_scenario(name_or_path): the mockserver scenario this test runs on "
                                       "(a bundled name, or a path relative to the test file)")


def _scenario_for(request) -> tuple[str, str]:
    """The test's scenario (a bundled name, or a file's absolute path) and the setting it came from.
    Files named in pytest's settings are found as pytest finds its own: the marker's next to the
    test file, ``--sms-scenario``'s from the current folder, else the rootdir, the ini option's from
    the rootdir, so a run from another folder (as IDEs run tests) finds the same file."""
    root = Path(request.config.rootpath)
    marker = request.node.get_closest_marker("sms_scenario")
    if marker is not None:
        return _located(marker.args[0], Path(request.node.fspath).parent), "@pytest.mark.sms_scenario"
    option = request.config.getoption("--sms-scenario")
    if option:
        return _located(option, Path.cwd(), root), "--sms-scenario"
    chosen = request.config.getini("sms_mock_scenario") or "default"
    return _located(chosen, root), "the sms_mock_scenario ini option"


def _located(chosen: str, *folders: Path) -> str:
    """``chosen`` as a path below the first folder that has it, else as given (a bundled name, or
    a file the server will say it cannot find)."""
    for folder in folders:
        if (folder / chosen).is_file():
            return str((folder / chosen).resolve())
    return chosen


def _load_failed(request, chosen: str, origin: str, error) -> None:
    """A scenario the plugin could not load: said in the plugin's own terms, with no traceback of
    the plugin's (the problem is in the user's settings or scenario, not in the test)."""
    root = request.config.rootpath
    problems = "\n".join(f"  {problem}" for problem in error.problems) or f"  {error.message}"
    problems = problems.replace("(mockserver run --scenario-dir; the bundled scenarios)",
                                f"(the pytest plugin loads scenario files below the rootdir, {root})")
    problems = problems.replace("(mockserver run --scenario-dir)",
                                f"(the pytest plugin looks next to the test file for a marker's file, below the "
                                f"rootdir {root} for the ini option and --sms-scenario)")
    pytest.fail(f"mockserver could not load the scenario {chosen!r} named by {origin}:\n{problems}", pytrace=False)


def _access(config, *hosts: str):
    """The settings from the environment, with the test session's rootdir as the folder
    scenario files load from, so a marker may name a file next to its test."""
    from dataclasses import replace

    from mockserver.control.access import Access
    base = Access.from_environ(scenario_dirs=(Path(config.rootpath),))
    return replace(base, allowed_hosts=base.allowed_hosts | set(hosts))


@pytest.fixture(scope="session")
def _sms_mock_served(pytestconfig):
    from mockserver.testing import ServedSandbox
    served = ServedSandbox("default", access=_access(pytestconfig))
    yield served
    served.close()


@pytest.fixture
def sms_mock(request, _sms_mock_served) -> SmsMock:
    """A running mockserver on this test's scenario, loaded afresh (so nothing leaks between tests)."""
    from mockserver.testing import SmsMock
    yield from _for_one_test(request, SmsMock(_sms_mock_served.url), _sms_mock_served.sandbox)


def _for_one_test(request, handle: SmsMock, sandbox):
    """The handle on the test's scenario, from a clean state; afterwards, the test's report taken
    (the next test's start clears it) and the handle's connections closed.

    The sandbox runs in this process. When the test asks for the scenario the previous test's
    start loaded, and it is still the one loaded (no test loaded another) and its file unchanged,
    the state is rebuilt in process (Sandbox.reset: what loading it again does, without reading,
    parsing and validating it again or a request); otherwise it is loaded over the control API,
    which reports a scenario's mistakes as a user's own calls would."""
    from mockserver.testing import MockServerError
    chosen, origin = _scenario_for(request)
    source = _source_of(chosen)
    remembered = request.config.stash.setdefault(_loaded_key, {}).setdefault(id(sandbox), {})
    if remembered.get("source") == source and remembered.get("scenario") is sandbox.scenario:
        sandbox.reset()
    else:
        refused = None
        try:
            handle.load(chosen)
        except MockServerError as error:
            refused = error
        if refused is not None:        # failed outside the except clause: no chained traceback
            _load_failed(request, chosen, origin, refused)
        remembered.update(source=source, scenario=sandbox.scenario)
    try:
        yield handle
        pytest_report.take(request, sandbox)
    finally:
        handle.http.close()


# Per sandbox of the session: the scenario the fixture last loaded, and what it came from.
_loaded_key = pytest.StashKey[dict]()


def _source_of(chosen: str):
    """What a scenario was loaded from: a bundled name, or a file as it is now (its content may
    change between tests: then it is loaded again)."""
    path = Path(chosen)
    if path.is_file():
        stat = path.stat()
        return str(path.resolve()), stat.st_mtime_ns, stat.st_size
    return chosen


@pytest.fixture(scope="session")
def _sms_mock_app(pytestconfig):
    from mockserver.app import create_app
    from mockserver.testing.inprocess import HOST
    app = create_app("default", access=_access(pytestconfig, HOST))
    yield app
    app.extensions["mockserver"].close()


@pytest.fixture
def sms_mock_inprocess(request, _sms_mock_app) -> SmsMock:
    """A mockserver reached without sockets: point clients at ``sms_mock_inprocess.url``."""
    import requests

    from mockserver.testing.inprocess import HOST, intercepted
    from mockserver.testing.realhosts import routed
    with intercepted(_sms_mock_app), routed(_sms_mock_app):
        yield from _for_one_test(request, _in_process_mock_class()(_sms_mock_app, f"http://{HOST}",
                                                                   session=requests.Session()),
                                 _sms_mock_app.extensions["mockserver"])


@pytest.fixture
def webhook_receiver():
    """A real local HTTP server that records webhook deliveries; ``fail_next(n)`` makes it fail."""
    from mockserver.testing import WebhookReceiver
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def pytest_sessionfinish(session):
    pytest_report.send_to_controller(session.config)
    pytest_report.fail_session_if_asked(session)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: a worker is done; keep the findings it sends."""
    pytest_report.receive_from_worker(node.config, node)


def pytest_terminal_summary(terminalreporter, config):
    pytest_report.write_summary(terminalreporter, config)
