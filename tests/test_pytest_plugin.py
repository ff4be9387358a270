"""The pytest plugin, run the way users run it: in a separate pytest process (pytester)."""
from __future__ import annotations

import socket
import time

import pytest

from mockserver.testing import ServedSandbox

CLIENT_TESTS = '''
import pytest
import requests

AIRBNB = "697139f7fe5460ddc2f27214"
PVA = {"Authorization": "Bearer API-mock-default"}


def buy(sms_mock):
    response = requests.post(sms_mock.pvadeals_url + "/purchase", headers=PVA,
                             json={"services": [{"serviceId": AIRBNB}]})
    return response.json()["data"]["requests"][0]


def test_code_arrives_after_advancing(sms_mock):
    request = buy(sms_mock)
    sms_mock.advance("3s")
    detail = requests.get(sms_mock.pvadeals_url + "/request/" + request["_id"], headers=PVA).json()["data"]
    assert detail["status"] == "COMPLETED"


def test_each_test_starts_clean(sms_mock):
    assert requests.get(sms_mock.pvadeals_url + "/balance", headers=PVA).json()["data"]["credits"] == 100
    buy(sms_mock)


def test_webhooks_reach_the_receiver(sms_mock, webhook_receiver):
    sms_mock.set_webhook("API-mock-default", webhook_receiver.url + "/hook")
    webhook_receiver.fail_next(1)
    request = buy(sms_mock)
    sms_mock.advance("5s")
    # the retry of the failed delivery is due at +5 s, after the SMS at +3 s
    assert webhook_receiver.events() == ["number_purchased", "sms_received", "number_purchased"]
    assert [a["ok"] for a in sms_mock.webhooks(event="number_purchased")] == [False, True]
    sms_mock.send_sms(request["_id"], text="Your Airbnb verification code is 9999.")
    assert webhook_receiver.wait_for(4)[3]["json"]["message"] == "Your Airbnb verification code is 9999."
    assert sms_mock.count_requests(provider="pvadeals", method="POST") == 1


@pytest.mark.sms_scenario("timeouts")
def test_marker_chooses_a_bundled_scenario(sms_mock):
    assert sms_mock.scenario()["name"] == "timeouts"
'''


# The runs after the first name the plugins they use (PYTEST_DISABLE_PLUGIN_AUTOLOAD) instead of
# loading every plugin of this environment, most of a run's time; the first run shows that the
# entry point loads mockserver's plugin by itself.
NAMED = ("-p", "mockserver.pytest_plugin", "-p", "no:cacheprovider")


@pytest.fixture(autouse=True)
def _named_plugins_only(monkeypatch, request):
    if request.node.name != "test_fixture_receiver_and_marker":
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_fixture_receiver_and_marker(pytester):
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_option_ini_and_a_scenario_file_beside_the_test(pytester):
    pytester.makefile(".yaml", mine="name: mine\npvadeals:\n  accounts: [{key: API-mine, credits: 7}]\n")
    pytester.makeini("[pytest]\nsms_mock_scenario = rate-limited\n")
    pytester.makepyfile(test_choice='''
import pytest

def test_scenario(sms_mock, pytestconfig):
    expected = pytestconfig.getoption("--sms-scenario") or "rate-limited"
    assert sms_mock.scenario()["name"] == expected

@pytest.mark.sms_scenario("mine.yaml")
def test_file(sms_mock):
    import requests
    body = requests.get(sms_mock.pvadeals_url + "/balance", headers={"Authorization": "Bearer API-mine"}).json()
    assert body["data"]["credits"] == 7
''')
    pytester.runpytest_subprocess(*NAMED).assert_outcomes(passed=2)
    pytester.runpytest_subprocess(*NAMED, "--sms-scenario", "instant-codes").assert_outcomes(passed=2)


def test_under_xdist_each_worker_has_its_own_server(pytester):
    pytester.makepyfile(test_client=CLIENT_TESTS, test_more=CLIENT_TESTS.replace("def test_", "def test_again_"))
    result = pytester.runpytest_subprocess(*NAMED, "-p", "xdist.plugin", "-n", "2")
    result.assert_outcomes(passed=8)


def test_in_process_mode_needs_no_socket(pytester):
    pytester.makepyfile(test_inprocess='''
import requests

def test_through_the_app(sms_mock_inprocess):
    assert sms_mock_inprocess.url == "http://mockserver.local"
    headers = {"Authorization": "Bearer nsk_test_mock"}
    number = requests.post(sms_mock_inprocess.provynx_url + "/us/numbers", headers=headers,
                           json={"service": "whatsapp"}).json()
    code_url = sms_mock_inprocess.provynx_url + "/us/numbers/" + number["id"] + "/code"
    assert [requests.get(code_url, headers=headers).json()["code"] for _ in range(2)] == [None, "123456"]
    assert sms_mock_inprocess.count_requests(provider="provynx") == 3

BALANCE = "/v3/api/balance"
HEADERS = {"Authorization": "Bearer API-mock-default"}
ANSWER = {"success": True, "data": {"credits": 100}, "message": "Balance retrieved successfully"}

def test_the_standard_library_and_urllib3(sms_mock_inprocess):
    import http.client, json, urllib.request, urllib3
    with urllib.request.urlopen(urllib.request.Request(sms_mock_inprocess.url + BALANCE, headers=HEADERS)) as answer:
        assert json.load(answer) == ANSWER
    connection = http.client.HTTPConnection("mockserver.local")
    connection.request("GET", BALANCE, headers=HEADERS)
    assert json.loads(connection.getresponse().read()) == ANSWER
    assert urllib3.PoolManager().request("GET", sms_mock_inprocess.url + BALANCE, headers=HEADERS).json() == ANSWER

def test_httpx_sync_and_async(sms_mock_inprocess):
    import asyncio, httpx
    with httpx.Client(transport=sms_mock_inprocess.httpx_transport(), base_url=sms_mock_inprocess.url) as client:
        assert client.get(BALANCE, headers=HEADERS).json() == ANSWER
        assert client.post("/v3/api/purchase", headers=HEADERS,
                           json={"services": [{"serviceId": "697139f7fe5460ddc2f27214"}]}).status_code == 200

    async def two_at_once():
        async with httpx.AsyncClient(transport=sms_mock_inprocess.httpx_async_transport(),
                                     base_url=sms_mock_inprocess.url) as client:
            return await asyncio.gather(*(client.get(BALANCE, headers=HEADERS) for _ in range(2)))
    assert [answer.json()["data"]["credits"] for answer in asyncio.run(two_at_once())] == [99.8, 99.8]
''')
    pytester.runpytest_subprocess(*NAMED).assert_outcomes(passed=3)


def test_a_server_that_cannot_start_fails_fast():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        started = time.monotonic()
        with pytest.raises(OSError):
            ServedSandbox("default", port=taken.getsockname()[1])
        assert time.monotonic() - started < 5


def test_a_scenario_that_does_not_load_fails_the_test_with_every_problem(pytester):
    pytester.makefile(".yaml", bad="name: bad\npvadeals:\n  acounts: []\nprovynx:\n  lifetime: soon\n")
    pytester.makepyfile(test_bad='''
import pytest

@pytest.mark.sms_scenario("bad.yaml")
def test_file(sms_mock):
    pass

@pytest.mark.sms_scenario("instant-code")
def test_misspelled(sms_mock):
    pass
''')
    result = pytester.runpytest_subprocess(*NAMED)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*mockserver could not load the scenario '*bad.yaml' named by @pytest.mark.sms_scenario:",
                                 "*bad.yaml:3: pvadeals.acounts: Unknown field. Did you mean `accounts`?",
                                 "*bad.yaml:5: provynx.lifetime: *",
                                 "*no bundled scenario 'instant-code' (bundled: default, *"])


def test_mockserver_load_prints_every_problem(tmp_path):
    import subprocess
    import sys
    server = ServedSandbox("default")
    try:
        bad = tmp_path / "bad.yaml"
        bad.write_text("name: bad\npvadeals:\n  acounts: []\n")
        finished = subprocess.run([sys.executable, "-m", "mockserver", "load", str(bad), "--url", server.url],
                                  capture_output=True, text=True, timeout=60, cwd=tmp_path)
    finally:
        server.close()
    assert finished.returncode == 1
    # The server may not read the file's folder, so the command sent the file's text.
    assert finished.stderr.startswith(f"mockserver load: scenario not loaded; the running one is unchanged\n"
                                      f"  {bad}:3: pvadeals.acounts: Unknown field.")


def test_each_test_starts_from_its_scenario_as_it_is_now(pytester):
    """The fixture rebuilds the state in process when a test asks for the scenario already
    loaded; a scenario file edited since, or another scenario a test loaded, is loaded again."""
    pytester.makefile(".yaml", mine="name: mine\npvadeals:\n  accounts: [{key: API-mine, credits: 7}]\n")
    pytester.makepyfile(test_order='''
import pathlib
import time

import pytest
import requests

MINE = {"Authorization": "Bearer API-mine"}


def credits(sms_mock):
    return requests.get(sms_mock.pvadeals_url + "/balance", headers=MINE).json()["data"]["credits"]


@pytest.mark.sms_scenario("mine.yaml")
def test_1_spends(sms_mock):
    assert credits(sms_mock) == 7
    requests.post(sms_mock.pvadeals_url + "/purchase", headers=MINE,
                  json={"services": [{"serviceId": "697139f7fe5460ddc2f27214"}]})
    assert credits(sms_mock) == 6.8


@pytest.mark.sms_scenario("mine.yaml")
def test_2_starts_clean_then_edits_the_file(sms_mock):
    assert credits(sms_mock) == 7
    path = pathlib.Path(__file__).parent / "mine.yaml"
    path.write_text(path.read_text().replace("credits: 7", "credits: 9"))


@pytest.mark.sms_scenario("mine.yaml")
def test_3_sees_the_edit_and_loads_another(sms_mock):
    assert credits(sms_mock) == 9
    sms_mock.load("timeouts")


@pytest.mark.sms_scenario("mine.yaml")
def test_4_is_back_on_its_own(sms_mock):
    assert sms_mock.scenario()["name"] == "mine" and credits(sms_mock) == 9
''')
    pytester.runpytest_subprocess(*NAMED, "-p", "no:randomly").assert_outcomes(passed=4)


def test_wait_for_says_what_came_when_fewer_arrive(webhook_receiver):
    """Fewer deliveries than asked by the timeout: an error that says how long it waited and what
    came, instead of a shorter list the test might not check; allow_fewer returns them."""
    from mockserver.testing import DeliveriesMissing
    with pytest.raises(DeliveriesMissing, match=r"waited 0.2 s for 2 webhook deliveries; 0 arrived"):
        webhook_receiver.wait_for(2, timeout_s=0.2)
    assert webhook_receiver.wait_for(2, timeout_s=0.01, allow_fewer=True) == []


def test_an_ini_scenario_path_is_taken_from_the_rootdir_wherever_pytest_runs(pytester):
    """sms_mock_scenario = tests/scenarios/slow.yaml works from the project's root and from tests/
    (as IDEs run it), as pytest's own path settings do."""
    pytester.makefile(".toml", pyproject="[tool.pytest.ini_options]\nsms_mock_scenario = \"tests/scenarios/mine.yaml\"\n")
    scenarios = pytester.mkdir("tests") / "scenarios"
    scenarios.mkdir()
    (scenarios / "mine.yaml").write_text("name: mine\npvadeals:\n  accounts: [{key: API-mine, credits: 7}]\n")
    (pytester.path / "tests" / "test_it.py").write_text(
        "def test_it(sms_mock):\n    assert sms_mock.scenario()['name'] == 'mine'\n")
    pytester.runpytest_subprocess(*NAMED).assert_outcomes(passed=1)
    pytester.chdir()
    import os
    os.chdir(pytester.path / "tests")
    pytester.runpytest_subprocess(*NAMED, "--rootdir", str(pytester.path)).assert_outcomes(passed=1)


def test_a_misspelt_scenario_file_is_said_in_the_plugins_terms_without_a_traceback(pytester):
    pytester.makeini("[pytest]\nsms_mock_scenario = tests/scenarios/slwo.yaml\n")
    pytester.makepyfile(test_it="def test_it(sms_mock):\n    pass\n")
    result = pytester.runpytest_subprocess(*NAMED)
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "mockserver could not load the scenario 'tests/scenarios/slwo.yaml' named by the sms_mock_scenario ini option" in output
    assert "below the rootdir" in output and "--scenario-dir" not in output
    assert "pytest_plugin.py" not in output and "Traceback" not in output
