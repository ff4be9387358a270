"""The webhook probe (POST /_mock/webhooks/probe) against three real receivers on loopback, and
delivery chaos (duplicates, reordering, a secret rotation) as scenario data."""
from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from standardwebhooks.webhooks import Webhook
from webhook_receiver import Receiver

from harness import AIRBNB, KEY, LIVE, SECRET, START, THREE_FUN, scenario_with
from mockserver.cli import main
from mockserver.engine.chaos import Chaos, duplicated, hold_ms
from mockserver.engine.clock import format_iso, parse_iso

QUERY_SECRET = "s3cr3t"
OLD_SECRET = "whsec_" + base64.b64encode(b"the secret before the rotation").decode()
FORGED = ["wrong-secret", "other-body", "stale", "future", "no-signature", "no-id", "no-timestamp", "v1-equals"]
GENUINE = ["rotated", "valid"]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Served:
    """A WSGI app on a free loopback port, in a thread."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def accepts_everything(environ, start_response):
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def forgets_the_timestamp(environ, start_response):
    """Checks the headers and the signature, by hand, but never how old the timestamp is."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    message_id, timestamp, signatures = (environ.get(f"HTTP_WEBHOOK_{name}") for name in ("ID", "TIMESTAMP", "SIGNATURE"))
    status = "401 Unauthorized"
    if message_id and timestamp and signatures:
        signed = f"{message_id}.{timestamp}.".encode() + body
        expected = base64.b64encode(hmac.new(base64.b64decode(SECRET[6:]), signed, hashlib.sha256).digest()).decode()
        if any(hmac.compare_digest(f"v1,{expected}", given) for given in signatures.split(" ")):
            status = "200 OK"
    start_response(status, [("Content-Length", "0")])
    return [b""]


@pytest.fixture
def serve():
    served = []

    def start(app) -> Served:
        served.append(Served(app))
        return served[-1]

    yield start
    for one in served:
        one.close()


def provynx_at(url: str, **changes) -> dict:
    return scenario_with(**{"provynx.accounts": [{"name": "acme", "keys": [LIVE], "balance": 10,
                                                  "webhook": {"url": url, "secret": SECRET}}], **changes})


def pvadeals_at(url: str, **changes) -> dict:
    return scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 100, "webhook": url}], **changes})


def probe(mock, key: str) -> dict:
    answer = mock.control("POST", "/webhooks/probe", json={"key": key})
    assert answer.status_code == 200, answer.text
    return answer.json()


def verdicts(answer: dict) -> dict:
    return {r["kind"]: (r["verdict"], r["as_expected"]) for r in answer["results"]}


# -- the probe ------------------------------------------------------------------------------------


def test_a_receiver_that_verifies_properly_defends_every_forged_kind_and_takes_the_genuine_ones(start_server, serve):
    receiver = serve(Receiver(SECRET, QUERY_SECRET))
    mock = start_server(provynx_at(receiver.url + "/provynx"))
    answer = probe(mock, LIVE)
    assert [(r["kind"], r["expect"], r["verdict"], r["status"]) for r in answer["results"]] == [
        *((kind, "defended", "defended", 401) for kind in FORGED), *((kind, "accepted", "accepted", 204) for kind in GENUINE)]
    assert (answer["as_expected"], answer["defended"], answer["accepted"], answer["inconclusive"]) == (True, 8, 2, 0)
    assert {r["at"] for r in answer["results"]} == {START}
    assert [(e["data"]["id"], e["data"]["number"], e["data"]["sandbox"]) for e in receiver.app.events] == [
        ("num_" + "0" * 20, "+12025550100", True)] * 2      # the two genuine ones, about no real number
    assert mock.control("GET", "/report", params={"key": LIVE}).json()["findings"] == []


def test_a_receiver_that_checks_nothing_accepts_every_forged_kind(start_server, serve):
    receiver = serve(accepts_everything)
    mock = start_server(provynx_at(receiver.url + "/hook"))
    answer = probe(mock, LIVE)
    assert verdicts(answer) == {**{kind: ("accepted", False) for kind in FORGED},
                                **{kind: ("accepted", True) for kind in GENUINE}}
    assert (answer["as_expected"], answer["defended"], answer["accepted"]) == (False, 0, 10)
    [finding] = mock.control("GET", "/report").json()["findings"]
    assert {k: finding[k] for k in ("rule", "severity", "provider", "key", "count")} == {
        "rule": "webhook-receiver", "severity": "error", "provider": "provynx", "key": LIVE, "count": 8}
    assert finding["summary"] == ("the webhook receiver accepted (2xx) 8 probes it should have refused: "
                                  + ", ".join(FORGED))
    assert {e["kind"] for e in finding["evidence"]} == {"webhook"}
    assert {e["id"] for e in finding["evidence"]} <= {r["id"] for r in answer["results"][:8]}
    # The advice says what to do in itself: a user of the wheel has no docs/ folder to be sent to.
    assert ".md" not in finding["advice"] and "docs/" not in finding["advice"]
    for essential in ("HMAC-SHA256 over id.timestamp.body", "constant time", "within 5 minutes", "answer 4xx",
                      "POST /_mock/webhooks/probe"):
        assert essential in finding["advice"]


def test_a_receiver_that_forgets_the_timestamp_accepts_exactly_the_stale_and_future_kinds(start_server, serve):
    receiver = serve(forgets_the_timestamp)
    mock = start_server(provynx_at(receiver.url))
    answer = probe(mock, LIVE)
    assert sorted(kind for kind, (verdict, _) in verdicts(answer).items() if verdict == "accepted") == \
        ["future", "rotated", "stale", "valid"]
    assert sorted(kind for kind, (_, expected) in verdicts(answer).items() if not expected) == ["future", "stale"]
    [finding] = mock.control("GET", "/report", params={"key": LIVE}).json()["findings"]
    assert (finding["rule"], finding["count"]) == ("webhook-receiver", 2)
    assert finding["summary"].endswith(": stale, future")


def test_a_fixed_receiver_probed_again_clears_its_finding(start_server, serve):
    receiver = serve(forgets_the_timestamp)
    mock = start_server(provynx_at(receiver.url))
    probe(mock, LIVE)
    fixed = serve(Receiver(SECRET, QUERY_SECRET))
    assert mock.control("POST", "/webhook", json={"key": LIVE, "url": fixed.url + "/provynx"}).status_code == 200
    assert probe(mock, LIVE)["as_expected"] is True
    assert mock.control("GET", "/report").json()["findings"] == []


def test_pvadeals_probes_the_query_secret(start_server, serve):
    receiver = serve(Receiver(SECRET, QUERY_SECRET))
    mock = start_server(pvadeals_at(f"{receiver.url}/pvadeals?secret={QUERY_SECRET}"))
    answer = probe(mock, KEY)
    assert [(r["kind"], r["url"].removeprefix(receiver.url), r["verdict"], r["status"], r["as_expected"])
            for r in answer["results"]] == [
        ("no-query-secret", "/pvadeals", "defended", 403, True),
        ("wrong-query-secret", "/pvadeals?secret=mockserver-probe-wrong", "defended", 403, True),
        ("valid", f"/pvadeals?secret={QUERY_SECRET}", "accepted", 204, True)]
    assert receiver.app.events == [{"event": "sms_received", "timestamp": START, "requestId": "0" * 24,
                                    "serviceId": "0" * 24, "number": "+12025550100",
                                    "message": "mockserver webhook probe, not a real SMS: 000000"}]


def test_a_pvadeals_url_without_a_query_is_reported_open(start_server, serve):
    receiver = serve(accepts_everything)
    mock = start_server(pvadeals_at(receiver.url + "/hook"))
    answer = probe(mock, KEY)
    assert verdicts(answer) == {"no-query-secret": ("accepted", False), "wrong-query-secret": ("accepted", False),
                                "valid": ("accepted", True)}
    assert answer["results"][1]["url"] == receiver.url + "/hook?secret=mockserver-probe-wrong"


def test_probes_are_logged_as_probes_and_shown_on_the_dashboard(start_server, serve):
    receiver = serve(forgets_the_timestamp)
    mock = start_server(provynx_at(receiver.url))
    answer = probe(mock, LIVE)
    attempts = mock.webhooks()
    assert [(a["id"], a["probe"], a["expect"], a["verdict"], a["attempt"], a["duplicate"], a["held_ms"])
            for a in attempts] == [(r["id"], r["kind"], r["expect"], r["verdict"], 1, False, 0)
                                   for r in answer["results"]]
    stale = attempts[FORGED.index("stale")]
    assert int(stale["headers"]["webhook-timestamp"]) < int(attempts[-1]["headers"]["webhook-timestamp"]) - 500
    assert "webhook-id" not in attempts[FORGED.index("no-id")]["headers"]
    assert attempts[FORGED.index("v1-equals")]["headers"]["webhook-signature"].startswith("v1=")
    assert len(attempts[8]["headers"]["webhook-signature"].split(" ")) == 2           # rotated
    counts = mock.control("GET", "/report").json()["counts"]
    assert (counts["webhook_attempts"], counts["webhook_failures"]) == (0, 0)      # probes are not events
    html = mock.control("GET", "/dashboard/live").json()["webhooks"]
    assert 'data-probe="stale" data-verdict="accepted"' in html
    assert "probe stale: accepted (expected defended)" in html
    assert "probe valid: accepted<" in html


def test_probe_refusals_have_the_error_shape(start_server, mock):
    assert mock.control("POST", "/webhooks/probe", json={"key": LIVE}).json() == {
        "error": "account acme has no webhook URL: set one (POST /_mock/webhook, or the scenario's webhook.url) "
                 "before probing it", "status": 409}
    assert mock.control("POST", "/webhooks/probe", json={"key": KEY}).status_code == 409
    unknown = mock.control("POST", "/webhooks/probe", json={"key": "nobody"})
    assert (unknown.status_code, unknown.json()["status"]) == (404, 404)
    assert mock.control("POST", "/webhooks/probe", json={}).json() == {
        "error": "key: Missing data for required field.", "status": 400}


def test_the_cli_prints_the_verdicts_and_exits_1_when_one_is_wrong(start_server, serve, capsys):
    receiver = serve(forgets_the_timestamp)
    mock = start_server(provynx_at(receiver.url))
    assert main(["probe-webhooks", "--url", mock.url, "--key", LIVE]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"Webhook probe of provynx key {LIVE}: 2 of 10 verdicts NOT as expected\n")
    assert "!!  stale         accepted  defended  200" in out
    receiver.close()
    good = serve(Receiver(SECRET, QUERY_SECRET))
    mock.control("POST", "/webhook", json={"key": LIVE, "url": good.url + "/provynx"})
    assert main(["probe-webhooks", "--url", mock.url, "--key", LIVE]) == 0
    assert "every verdict as expected" in capsys.readouterr().out


# -- delivery chaos -------------------------------------------------------------------------------


def test_duplicates_are_exactly_the_seeded_ones_with_the_same_id(start_server, receiver):
    mock = start_server(pvadeals_at(receiver.url, webhooks={"duplicates": 0.4}))
    for _ in range(8):
        mock.buy(THREE_FUN)
    mock.advance("0s")
    twice = [duplicated(Chaos(duplicates=0.4), 42, f"pvadeals:{KEY}", n) for n in range(1, 9)]
    assert True in twice and False in twice
    attempts = mock.webhooks()
    expected = [(n, False) for n in range(8)] + [(n, True) for n in range(8) if twice[n]]
    ids = list(dict.fromkeys(a["id"] for a in attempts))
    assert sorted((ids.index(a["id"]), a["duplicate"]) for a in attempts) == sorted(expected)
    for a in attempts:
        if a["duplicate"]:
            first = next(b for b in attempts if b["id"] == a["id"] and not b["duplicate"])
            assert (a["attempt"], first["attempt"], a["body"], a["at"]) == (2, 1, first["body"], first["at"])
    assert len(receiver.wait_for(len(attempts))) == 8 + sum(twice)


def test_a_reorder_window_delivers_the_sms_before_its_purchase_as_seeded(start_server, receiver):
    window = 10_000
    mock = start_server(pvadeals_at(receiver.url, webhooks={"reorder_window": "10s"}))
    bought = mock.buy(AIRBNB)[0]
    stream, chaos = f"pvadeals:{KEY}", Chaos(reorder_window_ms=window)
    purchase_hold, sms_hold = hold_ms(chaos, 42, stream, 1), hold_ms(chaos, 42, stream, 2)
    assert purchase_hold > 3000 + sms_hold                 # seed 42 overtakes: 9288 ms against 3000 + 3713
    pending = mock.control("GET", "/state").json()["pending"]
    assert {"at": format_iso(parse_iso(START) + purchase_hold), "what": "pvadeals webhook number_purchased held back"} \
        in pending
    mock.advance("10s")
    attempts = mock.webhooks()
    assert [(a["event"], a["at"], a["held_ms"]) for a in attempts] == [
        ("sms_received", format_iso(parse_iso(START) + 3000 + sms_hold), sms_hold),
        ("number_purchased", format_iso(parse_iso(START) + purchase_hold), purchase_hold)]
    assert [d["json"]["event"] for d in receiver.wait_for(2)] == ["sms_received", "number_purchased"]
    assert all(d["json"]["requestId"] == bought["_id"] for d in receiver.deliveries)


def test_a_rotation_signs_with_both_secrets_while_it_lasts(start_server, receiver):
    mock = start_server(provynx_at(receiver.url, webhooks={"rotation": {"old_secret": OLD_SECRET, "until": "1m"}}))
    mock.pnx_buy()
    mock.advance("3s")
    [during] = receiver.wait_for(1)
    assert len(during["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (OLD_SECRET, SECRET):
        assert Webhook(secret).verify(during["body"], during["headers"])["type"] == "otp.received"
    mock.advance("1m")
    mock.pnx_buy()
    mock.advance("3s")
    after = receiver.wait_for(2)[1]
    assert after["headers"]["webhook-signature"].count("v1,") == 1
    Webhook(SECRET).verify(after["body"], after["headers"])


def test_chaos_settings_are_checked(start_server):
    import yaml

    from mockserver.loading import ScenarioError, load_text
    for hooks, problem in [({"duplicates": 1.5}, "duplicates"), ({"reorder_window": "2h"}, "reorder_window"),
                           ({"rotation": {"old_secret": "nope"}}, "old_secret"),
                           ({"rotation": {"old_secret": OLD_SECRET, "from": "2m", "until": "1m"}}, "until")]:
        with pytest.raises(ScenarioError) as raised:
            load_text(yaml.safe_dump(scenario_with(webhooks=hooks)), source="t.yaml")
        assert problem in "\n".join(raised.value.problems)


def test_the_delivery_chaos_example_of_the_scenario_guide_loads_as_it_says():
    import re
    from pathlib import Path

    from mockserver.engine.chaos import Rotation
    from mockserver.loading import load_text
    text = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text()
    block = re.search(r"## Delivery chaos\n.*?```yaml\n(.*?)```", text, re.S).group(1)
    assert load_text("name: chaos\n" + block, source="docs/scenarios.md").webhook_chaos == Chaos(
        duplicates=0.1, reorder_window_ms=10_000, rotation=Rotation(OLD_SECRET, 0, 600_000))
