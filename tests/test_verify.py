"""`mockserver verify` against a second mockserver process on loopback standing in for the real
provider: the same scenario conforms; a stand-in made to drift shows exactly its drift."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import pytest
import requests
import yaml
from test_cli import RunningServer

from mockserver.loading import load_scenario
from mockserver.verify.run import VerifyOptions, verify

PVA_KEY, PNX_TEST, PNX_LIVE = "API-mock-default", "nsk_test_mock", "nsk_live_mock"
PVA, PNX = "/v3/api", "/api/v1/sms"


def stand_in(tmp_path, name: str = "standin", **changes) -> RunningServer:
    """A real mockserver process on the bundled default scenario, with dotted-path changes."""
    scenario = _default_yaml()
    scenario["name"] = name
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = scenario
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return RunningServer("--scenario", str(path), "--quiet")


def _default_yaml() -> dict:
    from mockserver.loading.loader import SCENARIOS_DIR
    return yaml.safe_load((SCENARIOS_DIR / "default.yaml").read_text())


def run_verify(provider: str, base_url: str, key: str | None, **options) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = verify(VerifyOptions(provider, base_url=base_url, key=key, pace_s=0, **options), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def standin(tmp_path):
    servers = []

    def start(**changes) -> RunningServer:
        server = stand_in(tmp_path, f"standin{len(servers)}", **changes)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def verdicts(report: dict) -> dict[str, tuple[str, list[str]]]:
    return {call["name"]: (call["verdict"], call["differences"]) for call in report["calls"]}


def test_the_same_scenario_conforms_fully_through_the_command(standin):
    real = standin()
    for _ in range(6):                      # the account has numbers: the list pages, the newest is looked up
        requests.post(f"{real.url}{PVA}/purchase", headers={"Authorization": f"Bearer {PVA_KEY}"},
                      json={"services": [{"serviceId": "697139f7fe5460ddc2f27214"}]}, timeout=10)
    finished = subprocess.run([sys.executable, "-m", "mockserver", "verify", "pvadeals", "--base-url",
                               real.url + PVA, "--pace", "0"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "MOCKSERVER_VERIFY_KEY": PVA_KEY})
    assert finished.returncode == 0, finished.stdout + finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == f"mockserver verify pvadeals against {real.url}{PVA}"
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[2:12]]
    assert [row[:2] for row in rows] == [[name, "pass"] for name in (
        "balance", "services", "requests", "requests, next page", "newest request", "no key", "wrong key",
        "unknown request", "malformed purchase", "unknown route")]
    assert "conformance: 10/10 calls match" in lines
    assert "coverage: 5/9 routes the sandbox serves were exercised" in lines
    assert PVA_KEY not in finished.stdout + finished.stderr


def test_provynx_with_a_test_key_runs_the_free_sandbox_flow_and_conforms(standin):
    real = standin()
    code, out, err = run_verify("provynx", real.url + PNX, PNX_TEST, as_json=True)
    report = json.loads(out)
    assert code == 0, out + err
    assert report["conformance"] == {"matching": 22, "calls": 22}
    assert [name for name in verdicts(report) if name.startswith("sandbox")] == [
        "sandbox purchase", "sandbox code, first poll", "sandbox code, second poll", "sandbox number", "sandbox cancel"]
    assert report["coverage"]["exercised"] == 10 and report["coverage"]["served"] == 14


def test_another_profile_shows_as_the_catalogs_extra_fields(standin):
    real = standin(**{"pvadeals.shape": "documented"})
    code, out, _ = run_verify("pvadeals", real.url + PVA, PVA_KEY, as_json=True)
    assert code == 1
    found = verdicts(json.loads(out))
    assert found["services"] == ("extra field", ["data.services[0]: sandbox has picture, STRprice, LTR3price, LTR7price, "
                                                 "LTR14price, LTR30price"])
    assert [name for name, (verdict, _) in found.items() if verdict != "pass"] == ["services"]
    # The sandbox on the profile the real API follows: no difference.
    code, out, _ = run_verify("pvadeals", real.url + PVA, PVA_KEY, profile="documented")
    assert code == 0, out


def test_drift_in_errors_routes_and_catalog_is_reported_exactly(standin):
    real = standin(**{
        "pvadeals.services": [{"id": "697139f7fe5460ddc2f27214", "name": "Airbnb", "price": 0.2}],   # no rentals
        "faults": [{"match": {"provider": "pvadeals", "method": "POST", "path": "/purchase"}, "respond": {"status": 422}},
                   {"match": {"provider": "pvadeals", "path": "/request/*"}, "respond": {"status": 404}}]})
    code, out, _ = run_verify("pvadeals", real.url + PVA, PVA_KEY, as_json=True)
    assert code == 1
    found = verdicts(json.loads(out))
    assert found["services"] == ("differs", [
        "data.services[0].LTR3price: real null, sandbox a number",
        "data.services[0].LTR7price: real null, sandbox a number",
        "data.services[0].LTR14price: real null, sandbox a number",
        "data.services[0].LTR30price: real null, sandbox a number"])
    assert found["malformed purchase"] == ("differs", [
        "HTTP status: real 422, sandbox 400",
        'message: real "Unprocessable Entity", sandbox "services: Not a valid list."',
        "status: real 422, sandbox 400"])          # the body's own status field
    assert found["unknown request"] == ("missing route", ["the real API has no GET /request/<id>"])
    assert all(verdict == "pass" for name, (verdict, _) in found.items()
               if name not in ("services", "malformed purchase", "unknown request"))


def test_a_401_from_the_provider_stops_the_run_with_the_message(standin):
    real = standin()
    code, out, err = run_verify("pvadeals", real.url + PVA, "API-not-this-one")
    assert (code, out) == (2, "")
    assert err == ("stopped: the real API refused the key (401 on GET /balance): check the key and the base URL; "
                   "nothing more was sent\n")
    journal = requests.get(f"{real.url}/_mock/requests", timeout=10).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in journal] == [("GET", "/v3/api/balance", 401)]


def test_the_saved_catalog_loads_as_a_fixture_and_the_sandbox_serves_it(standin, tmp_path):
    catalog = [{"id": "6a0000000000000000000001", "name": "Tinder", "price": 0.3, "ltr_prices": {7: 2.5}},
               {"id": "6a0000000000000000000002", "name": "Hinge", "price": 0.45}]
    real = standin(**{"pvadeals.services": catalog})
    saved = tmp_path / "catalog" / "pvadeals-services.yaml"
    saved.parent.mkdir()
    code, _, err = run_verify("pvadeals", real.url + PVA, PVA_KEY, save_catalog=saved)
    assert f"saved the real catalog as {saved}" in err
    mine = saved.parent / "mine.yaml"
    mine.write_text(yaml.safe_dump({"name": "mine", "pvadeals": {"services": saved.name}}))
    services = load_scenario(str(mine)).section("pvadeals").services
    assert [(s.id, s.name, float(s.price), [(d, float(p)) for d, p in s.ltr_prices]) for s in services] == [
        ("6a0000000000000000000001", "Tinder", 0.3, [(7, 2.5)]), ("6a0000000000000000000002", "Hinge", 0.45, [])]


def test_provynx_catalogs_are_saved_per_server_and_load(standin, tmp_path):
    # --pace 0 here: the stand-in admits what the saved catalog takes at once (the sandbox side
    # is paced on its own virtual clock).
    real = standin(**{"provynx.rate_limits": [{"limit": 1000, "window": "60s"}]})
    saved = tmp_path / "pnx.yaml"
    code, _, err = run_verify("provynx", real.url + PNX, PNX_LIVE, save_catalog=saved)
    assert code == 0
    for server in (1, 2, 3):
        path = tmp_path / f"pnx-server{server}.yaml"
        assert f"saved the real catalog as {path}" in err
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump({"name": "mine", "provynx": {"servers": {n: f"pnx-server{n}.yaml" for n in (1, 2, 3)}}}))
    scenario = load_scenario(str(mine))
    bundled = load_scenario("default").section("provynx").servers
    for number, server in scenario.section("provynx").servers.items():
        assert [s.id for s in server.us.services] == [s.id for s in bundled[number].us.services]
        assert [c.code for c in server.countries] == [c.code for c in bundled[number].countries]


def test_record_then_replay_gives_the_same_report_without_the_key(standin, tmp_path):
    real = standin()
    code, recorded, err = run_verify("provynx", real.url + PNX, PNX_TEST, as_json=True, record=tmp_path / "rec")
    assert code == 0
    kept = (tmp_path / "rec" / "answers.json").read_text()
    assert PNX_TEST not in kept and "nsk_test_<redacted>" in kept
    real.stop()
    code, replayed, _ = verify_replay("provynx", tmp_path / "rec")
    assert code == 0
    first, second = json.loads(recorded), json.loads(replayed)
    assert second["target"] == f"a recording in {tmp_path / 'rec'}"
    assert {**first, "target": None} == {**second, "target": None}


def verify_replay(provider: str, folder) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = verify(VerifyOptions(provider, replay=folder, as_json=True), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_spending_needs_a_yes_when_not_on_a_terminal(standin):
    real = standin()
    code, out, err = run_verify("pvadeals", real.url + PVA, PVA_KEY, spend=True)
    assert code == 2 and out == ""
    assert err.startswith("--spend: this costs money on the real account: one 3Fun number for 0.1 credits")
    assert "stopped: not allowed to spend" in err
    bought = requests.get(f"{real.url}{PVA}/requests", headers={"Authorization": f"Bearer {PVA_KEY}"}, timeout=10)
    assert bought.json()["data"]["data"]["edges"] == []
    code, out, err = run_verify("pvadeals", real.url + PVA, PVA_KEY, spend=True, yes=True)
    assert code == 0, out
    balance = requests.get(f"{real.url}{PVA}/balance", headers={"Authorization": f"Bearer {PVA_KEY}"}, timeout=10)
    assert balance.json()["data"]["credits"] == 100          # flagged at once: refunded


def test_calls_to_the_real_api_are_spaced_by_its_documented_rate():
    """The session waits between calls so a run never exceeds the provider's rate (PVADeals: 100
    a minute, so at least 0.6 s apart, with a margin); time here is a counter, not the wall."""
    from mockserver.providers.registry import by_name
    from mockserver.verify.session import Session
    from mockserver.verify.transport import Answer

    now = [0.0]
    sent_at = []

    class Counting:
        def send(self, name, method, path, headers, body):
            sent_at.append(now[0])
            return Answer(200, {"content-type": "application/json"}, b"{}")

    pace = by_name("pvadeals").verification.pace_s
    session = Session("real", Counting(), PVA_KEY, pace_s=pace, clock=lambda: now[0],
                      sleep=lambda s: now.__setitem__(0, now[0] + s))
    for step in range(5):
        session.call(f"step {step}", "GET", "GET /balance")
    assert pace == pytest.approx(0.63)
    assert [round(b - a, 2) for a, b in zip(sent_at, sent_at[1:])] == [0.63] * 4


def test_an_unreachable_host_is_named_with_why_and_what_to_try():
    import socket
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]            # nothing listens once the socket closes
    code, out, err = run_verify("pvadeals", f"http://127.0.0.1:{port}{PVA}", PVA_KEY)
    assert (code, out) == (2, "")
    assert err == (f"stopped: GET /balance: could not reach 127.0.0.1:{port}: the connection was refused (nothing "
                   "listens there); check --base-url and this machine's network (or proxy); --replay DIR verifies "
                   "against a recording offline\n")


def test_coverage_lists_the_routes_not_exercised_and_a_base_url_without_the_prefix_gets_a_hint(standin):
    real = standin()
    code, out, _ = run_verify("pvadeals", real.url, PVA_KEY)       # no /v3/api
    assert code == 1
    assert out.rstrip().endswith("every call to the real API answered 404: does the base URL end with the API's "
                                 "prefix (/v3/api), as in https://host/v3/api?")
    fine_code, fine, _ = run_verify("pvadeals", real.url + PVA, PVA_KEY)
    assert fine_code == 0 and "every call to the real API answered 404" not in fine


def test_coverage_lists_the_routes_not_exercised(standin):
    real = standin()
    code, out, _ = run_verify("provynx", real.url + PNX, PNX_TEST)       # the free flow: 10 of 14 routes
    assert code == 0
    [missing] = re.findall(r"^coverage: 10/14 routes the sandbox serves were exercised\n  not exercised: (.*)$", out, re.M)
    assert len(missing.split(", ")) == 4 and all(re.match(r"(GET|POST|DELETE|PUT) /", item) for item in missing.split(", "))
