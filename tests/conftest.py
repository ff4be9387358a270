from __future__ import annotations

import pytest
import yaml

from harness import BASE_SCENARIO, MockServer
from mockserver.testing import WebhookReceiver

pytest_plugins = ["pytester"]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test in teardown."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def shared_server():
    server = MockServer(BASE_SCENARIO)
    yield server
    server.close()


@pytest.fixture
def mock(shared_server):
    """The shared server, on the base scenario and reset, before the test."""
    if shared_server.control("GET", "/scenario").json()["name"] != BASE_SCENARIO["name"]:
        response = shared_server.control("PUT", "/scenario", data=yaml.safe_dump(BASE_SCENARIO),
                                         headers={"Content-Type": "application/yaml"})
        assert response.status_code == 200, response.text
    assert shared_server.control("POST", "/reset").status_code == 200
    return shared_server


@pytest.fixture
def start_server():
    """Start a server for a scenario of the test's own; closed after the test."""
    servers = []

    def start(scenario: dict, real_time: bool = True, **options) -> MockServer:
        server = MockServer(scenario, real_time=real_time, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def receiver():
    r = WebhookReceiver()
    yield r
    r.close()
