"""The client report (GET /_mock/report, mockserver report): for each rule, a client that misbehaves
through real HTTP and the exact finding it gets; well-behaved clients (the examples/) get none.
Time moves only by the control API's virtual clock."""
from __future__ import annotations

import pytest
from provynx_client import ProvynxClient  # examples/ (setup.cfg puts it on the path)
from pvadeals_client import PVADealsClient

from harness import AIRBNB, KEY, LIVE, OTHER_KEY, START, TEST, THREE_FUN, scenario_with
from mockserver import cli
from mockserver.settings import Limits
from mockserver.testing import SmsMock

AT = START                      # the frozen clock's instant in every test that does not advance it


def report(server, key: str | None = None) -> dict:
    response = server.control("GET", "/report", params={"key": key} if key else {})
    assert response.status_code == 200, response.text
    return response.json()


def findings(server, key: str | None = None, rule: str | None = None) -> list[dict]:
    return [f for f in report(server, key)["findings"] if rule is None or f["rule"] == rule]


def request(method: str, path: str, status: int | None, at: str = AT) -> dict:
    return {"at": at, "kind": "request", "method": method, "path": path,
            **({} if status is None else {"status": status})}


def purchase_body(service: str = AIRBNB, **extra) -> dict:
    return {"services": [{"serviceId": service, "areaCode": ""}], **extra}


# -- the endpoint -----------------------------------------------------------------------------


def test_a_fresh_sandbox_reports_nothing_and_a_get_provisions_no_tenant(mock):
    assert report(mock) == {"findings": [], "worst": "none", "counts": {
        "requests": 0, "rate_limited": 0, "client_errors": 0, "server_errors": 0, "dropped": 0, "polls": 0,
        "purchases": 0, "releases": 0, "webhook_attempts": 0, "webhook_failures": 0}}
    unknown = mock.control("GET", "/report", params={"key": "API-w-never-used"})
    assert unknown.status_code == 404
    assert "a read makes none" in unknown.json()["error"]
    assert mock.control("GET", "/state", params={"key": "API-w-never-used"}).status_code == 404


def test_reset_clears_the_report_and_a_key_scopes_it(mock):
    for key in (KEY, OTHER_KEY):
        for _ in range(3):
            assert mock.pva("GET", "/request/nope", key=key).status_code == 404
    assert {(f["rule"], f["key"]) for f in findings(mock)} == {("refusal-loop", KEY), ("refusal-loop", OTHER_KEY)}
    assert [(f["rule"], f["key"]) for f in findings(mock, key=OTHER_KEY)] == [("refusal-loop", OTHER_KEY)]
    assert report(mock, key=OTHER_KEY)["counts"]["requests"] == 3
    assert mock.control("POST", "/reset", json={"key": OTHER_KEY}).status_code == 200
    assert findings(mock, key=OTHER_KEY) == []
    assert [(f["rule"], f["key"]) for f in findings(mock)] == [("refusal-loop", KEY)]
    assert report(mock)["counts"]["requests"] == 3
    assert mock.control("POST", "/reset").status_code == 200
    assert report(mock)["findings"] == [] and report(mock)["counts"]["requests"] == 0


def test_the_counts_span_more_than_the_journal_holds(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": []}), limits=Limits(journal_size=5))
    for _ in range(12):
        server.pva("GET", "/balance")
    assert len(server.control("GET", "/requests").json()["requests"]) == 5
    assert report(server)["counts"]["requests"] == 12


def test_evidence_is_a_bounded_sample_and_the_count_goes_on(start_server):
    server = start_server(scenario_with(), limits=Limits(report_evidence_per_rule=2))
    [bought] = server.buy(AIRBNB)
    for _ in range(6):
        server.detail(bought["_id"])
    [finding] = findings(server)
    assert (finding["rule"], finding["count"], len(finding["evidence"])) == ("polling-too-fast", 5, 2)


# -- rate-headroom ----------------------------------------------------------------------------


def test_rate_headroom_warns_from_80_percent_and_errs_at_the_limit(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [{"scope": "key", "limit": 10, "window": "60s"}]}))
    for _ in range(7):
        server.pva("GET", "/balance")
    assert findings(server) == []                       # 70 %: room enough
    server.pva("GET", "/balance")
    [finding] = findings(server)
    assert finding == {
        "rule": "rate-headroom", "severity": "warning", "provider": "pvadeals", "key": KEY, "count": 8,
        "summary": "peak 8 of 10 requests per 1m (80%); 0 refused with 429",
        "advice": finding["advice"], "evidence": [{"at": AT, "kind": "request", "path": "/v3/api/balance"}]}
    assert "token bucket" in finding["advice"]
    server.pva("GET", "/balance")
    server.pva("GET", "/balance")
    refused = server.pva("GET", "/balance")
    assert refused.status_code == 429
    [finding] = findings(server, rule="rate-headroom")
    assert (finding["severity"], finding["count"]) == ("error", 10)
    assert finding["summary"] == "peak 10 of 10 requests per 1m (100%); 1 refused with 429"
    assert finding["evidence"] == [{"at": AT, "kind": "request", "path": "/v3/api/balance"},
                                   request("GET", "/v3/api/balance", 429)]
    assert report(server)["worst"] == "error"


def test_rate_headroom_threshold_is_scenario_data(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [{"scope": "key", "limit": 10, "window": "60s"}],
                                           "report": {"rate_warning": 0.5}}))
    for _ in range(5):
        server.pva("GET", "/balance")
    assert [(f["rule"], f["severity"]) for f in findings(server)] == [("rate-headroom", "warning")]


def test_a_rule_per_ip_address_is_reported_for_everyone_only(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [{"scope": "ip", "limit": 4, "window": "60s"}]}))
    for key in (KEY, KEY, OTHER_KEY, OTHER_KEY):
        server.pva("GET", "/balance", key=key)
    [finding] = findings(server)
    assert (finding["rule"], finding["severity"], finding["key"], finding["count"]) == (
        "rate-headroom", "error", "ip 127.0.0.1", 4)
    assert findings(server, key=KEY) == []


# -- retry-after-ignored ----------------------------------------------------------------------


def test_a_request_the_limiting_rule_does_not_count_is_no_early_retry(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [
        {"scope": "key", "limit": 1, "window": "60s", "paths": ["/purchase"]}]}))
    server.pva("POST", "/purchase", json=purchase_body())
    assert server.pva("POST", "/purchase", json=purchase_body()).status_code == 429
    assert server.pva("GET", "/balance").status_code == 200          # admitted: another path
    assert findings(server, rule="retry-after-ignored") == []
    assert server.pva("POST", "/purchase", json=purchase_body()).status_code == 429
    [finding] = findings(server, rule="retry-after-ignored")
    assert finding["evidence"] == [request("POST", "/v3/api/purchase", 429)]


def test_a_request_before_retry_after_passed_is_an_error(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [{"scope": "key", "limit": 2, "window": "60s"}]}))
    server.pva("GET", "/balance")
    server.pva("GET", "/balance")
    refused = server.pva("GET", "/balance")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "60")
    assert findings(server, rule="retry-after-ignored") == []
    server.advance("30s")                                   # half the wait
    server.pva("GET", "/balance")
    [finding] = findings(server, rule="retry-after-ignored")
    assert (finding["severity"], finding["count"], finding["key"]) == ("error", 1, KEY)
    assert finding["evidence"] == [request("GET", "/v3/api/balance", 429, at="2026-01-28T22:42:56.452Z")]
    server.advance("60s")                                   # past every Retry-After: a request is fine
    assert server.pva("GET", "/balance").status_code == 200
    assert findings(server, rule="retry-after-ignored")[0]["count"] == 1


def test_waiting_out_retry_after_is_no_finding(start_server):
    server = start_server(scenario_with(**{"pvadeals.rate_limits": [{"scope": "key", "limit": 2, "window": "60s"}]}))
    for _ in range(3):
        server.pva("GET", "/balance")
    server.advance("60s")
    assert server.pva("GET", "/balance").status_code == 200
    assert findings(server, rule="retry-after-ignored") == []


# -- polling-too-fast -------------------------------------------------------------------------


def test_polling_a_number_too_often_and_after_its_code(mock):
    [bought] = mock.buy(AIRBNB)
    path = f"/v3/api/request/{bought['_id']}"
    mock.detail(bought["_id"])
    mock.detail(bought["_id"])                          # at once: faster than every 2 s
    mock.advance("3s")                                  # the SMS comes
    assert mock.detail(bought["_id"])["status"] == "COMPLETED"
    mock.detail(bought["_id"])                          # the code was shown already
    polls = findings(mock, rule="polling-too-fast")
    assert [(f["severity"], f["count"], f["summary"]) for f in polls] == [
        ("warning", 1, "1 poll of a number less than 2s after the previous poll of it"),
        ("warning", 1, "1 poll of numbers that had already shown their code or their end")]
    assert polls[0]["evidence"] == [request("GET", path, 200)]
    assert polls[1]["evidence"] == [request("GET", path, 200, at="2026-01-28T22:42:29.452Z")]
    assert "webhooks" in polls[0]["advice"] and "every 2s" in polls[0]["advice"]


def test_provynx_polls_of_code_and_number_count_together(mock):
    number = mock.pnx_buy()
    mock.pnx("GET", f"/us/numbers/{number['id']}/code")
    mock.pnx("GET", f"/us/numbers/{number['id']}")
    [finding] = findings(mock, rule="polling-too-fast")
    assert (finding["provider"], finding["key"], finding["count"]) == ("provynx", LIVE, 1)
    assert finding["evidence"] == [request("GET", f"/api/v1/sms/us/numbers/{number['id']}", 200)]


def test_poll_interval_is_scenario_data(start_server):
    server = start_server(scenario_with(report={"poll_interval": "5s"}))
    [bought] = server.buy(AIRBNB)
    server.detail(bought["_id"])
    server.advance("2s")
    server.detail(bought["_id"])
    assert [f["count"] for f in findings(server, rule="polling-too-fast")] == [1]


# -- unsafe-retry -----------------------------------------------------------------------------

_PNX_502 = [{"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 1,
             "respond": {"status": 502}}]


def test_a_provynx_purchase_retried_without_the_key_or_with_a_new_one(start_server):
    server = start_server(scenario_with(faults=_PNX_502 * 1))
    failed = server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k1"}, json={"service": "whatsapp"})
    assert failed.status_code == 502
    assert server.pnx("POST", "/us/numbers", json={"service": "whatsapp"}).status_code == 201
    [finding] = findings(server, rule="unsafe-retry")
    assert (finding["severity"], finding["provider"], finding["key"], finding["count"]) == ("error", "provynx", LIVE, 1)
    assert "without an Idempotency-Key" in finding["summary"]
    assert finding["evidence"] == [request("POST", "/api/v1/sms/us/numbers", 502),
                                   request("POST", "/api/v1/sms/us/numbers", 201)]


def test_a_provynx_purchase_retried_with_a_new_key(start_server):
    server = start_server(scenario_with(faults=_PNX_502))
    server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k1"}, json={"service": "whatsapp"})
    server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k2"}, json={"service": "whatsapp"})
    [finding] = findings(server, rule="unsafe-retry")
    assert "with a new Idempotency-Key" in finding["summary"]


def test_another_purchase_after_a_failed_one_is_no_retry(start_server):
    """A different body is a different purchase: a new key is what it must carry."""
    server = start_server(scenario_with(faults=_PNX_502))
    server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k1"}, json={"service": "whatsapp"})
    bought = server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k2"}, json={"service": "telegram"})
    assert bought.status_code == 201
    assert findings(server, rule="unsafe-retry") == []


def test_a_provynx_retry_with_the_same_key_is_safe(start_server):
    server = start_server(scenario_with(faults=_PNX_502))
    for _ in range(2):
        server.pnx("POST", "/us/numbers", headers={"Idempotency-Key": "k1"}, json={"service": "whatsapp"})
    assert findings(server) == []


def test_a_provynx_purchase_retried_after_a_dropped_connection(start_server):
    import requests
    drop = [{"match": {"provider": "provynx", "method": "POST", "path": "/us/numbers"}, "times": 1,
             "respond": {"drop": True}}]
    server = start_server(scenario_with(faults=drop))
    with pytest.raises(requests.RequestException):
        server.pnx("POST", "/us/numbers", json={"service": "whatsapp"})
    server.pnx("POST", "/us/numbers", json={"service": "whatsapp"})
    [finding] = findings(server, rule="unsafe-retry")
    assert finding["evidence"][0] == request("POST", "/api/v1/sms/us/numbers", None)   # no status: dropped
    assert report(server)["counts"]["dropped"] == 1


def test_a_pvadeals_purchase_repeated_right_after_a_5xx(start_server):
    fault = [{"match": {"provider": "pvadeals", "method": "POST", "path": "/purchase"}, "times": 1,
              "respond": {"status": 500}}]
    server = start_server(scenario_with(faults=fault))
    assert server.pva("POST", "/purchase", json=purchase_body()).status_code == 500
    assert server.pva("POST", "/purchase", json=purchase_body()).status_code == 200
    [finding] = findings(server, rule="unsafe-retry")
    assert (finding["severity"], finding["provider"], finding["key"]) == ("error", "pvadeals", KEY)
    assert "has no idempotency" in finding["summary"]
    assert finding["evidence"] == [request("POST", "/v3/api/purchase", 500), request("POST", "/v3/api/purchase", 200)]


def test_a_pvadeals_client_that_looks_first_is_safe(start_server):
    fault = [{"match": {"provider": "pvadeals", "method": "POST", "path": "/purchase"}, "times": 1,
              "respond": {"status": 500}}]
    server = start_server(scenario_with(faults=fault))
    server.pva("POST", "/purchase", json=purchase_body())
    server.pva("GET", "/requests", params={"first": 5})        # did it go through?
    server.pva("POST", "/purchase", json=purchase_body())
    assert findings(server, rule="unsafe-retry") == []


# -- refusal-loop -----------------------------------------------------------------------------


def test_the_same_refusal_three_times_in_a_row(mock):
    for _ in range(2):
        assert mock.pva("GET", "/request/nope").status_code == 404
    assert findings(mock) == []
    mock.pva("GET", "/request/nope")
    mock.pva("GET", "/request/nope")                # the same loop goes on: counted once
    [finding] = findings(mock)
    assert (finding["rule"], finding["severity"], finding["count"]) == ("refusal-loop", "warning", 1)
    assert finding["evidence"] == [request("GET", "/v3/api/request/nope", 404)] * 3   # its first, third, fourth
    mock.pva("GET", "/balance")
    for _ in range(3):
        mock.pva("GET", "/request/other")
    assert findings(mock)[0]["count"] == 2


def test_different_refusals_are_no_loop(mock):
    for path in ("/request/a", "/request/b", "/request/c"):
        mock.pva("GET", path)
    assert findings(mock, rule="refusal-loop") == []


# -- numbers-left-to-expire -------------------------------------------------------------------


def test_numbers_that_ran_out_unflagged(mock):
    [left] = mock.buy(THREE_FUN)                        # never gets an SMS
    [flagged] = mock.buy(THREE_FUN)
    assert mock.pva("POST", f"/flag/{flagged['_id']}").status_code == 200
    mock.advance("20m")
    [finding] = findings(mock)
    assert finding["rule"] == "numbers-left-to-expire"
    assert (finding["severity"], finding["provider"], finding["key"], finding["count"]) == (
        "warning", "pvadeals", KEY, 1)
    assert finding["evidence"] == [{"at": "2026-01-28T23:02:26.452Z", "kind": "request", "id": left["_id"]}]
    assert finding["summary"] == "1 number ran out with no code, never flagged or cancelled"   # refunded


def test_money_kept_on_numbers_that_never_got_a_code(start_server):
    server = start_server(scenario_with(**{"provynx.behaviors": [{"match": {"service": "whatsapp"}, "sms": [],
                                                                  "timeout": {"refund": False}}]}))
    number = server.pnx_buy()
    server.advance("1h")
    [finding] = findings(server, rule="numbers-left-to-expire")
    assert (finding["provider"], finding["key"], finding["evidence"][0]["id"]) == ("provynx", LIVE, number["id"])
    assert finding["summary"] == ("1 number ran out with no code, never flagged or cancelled; "
                                  f"money kept for no code (not refunded): {number['price']:g}")


# -- webhook-trouble --------------------------------------------------------------------------


def test_a_delivery_that_needed_a_retry(mock, receiver):
    mock.control("POST", "/webhook", json={"key": KEY, "url": receiver.url})
    receiver.fail_next(1)
    mock.buy(AIRBNB)
    receiver.wait_for(1)
    mock.advance("10s")                                 # the retry (and the SMS) go out
    [finding] = findings(mock, rule="webhook-trouble")
    attempts = mock.webhooks(key=KEY)
    first = attempts[0]
    assert (finding["severity"], finding["key"], finding["count"]) == ("warning", KEY, 1)
    assert finding["evidence"] == [{"at": first["at"], "kind": "webhook", "id": first["id"]}]
    assert report(mock)["counts"]["webhook_failures"] == 1


def test_a_delivery_never_accepted(start_server, receiver):
    server = start_server(scenario_with(**{"pvadeals.webhooks": {"retries": 1, "delay": "5s", "timeout": "2s"}}))
    server.control("POST", "/webhook", json={"key": KEY, "url": receiver.url})
    receiver.fail_next(2)
    [bought] = server.buy(THREE_FUN)                    # one event: number_purchased
    receiver.wait_for(1)
    server.advance("5s")
    trouble = findings(server, rule="webhook-trouble")
    assert [(f["severity"], f["count"]) for f in trouble] == [("error", 1), ("warning", 1)]
    attempts = server.webhooks()
    assert trouble[0]["evidence"] == [{"at": attempts[1]["at"], "kind": "webhook", "id": attempts[1]["id"]}]
    assert trouble[0]["summary"] == "1 webhook message never accepted by the receiver, its retries used up"


def test_a_provynx_webhook_finding_names_a_key_of_the_account(start_server, receiver):
    server = start_server(scenario_with(**{"provynx.webhooks": {"retries": 0}}))
    server.control("POST", "/webhook", json={"key": LIVE, "url": receiver.url})
    receiver.fail_next(1)
    number = server.pnx_buy()
    server.control("POST", "/sms", json={"id": number["id"]})
    receiver.wait_for(1)
    [finding] = findings(server, key=TEST, rule="webhook-trouble")
    assert (finding["provider"], finding["key"], finding["severity"]) == ("provynx", LIVE, "error")


# -- lenient-request --------------------------------------------------------------------------


def test_unknown_query_parameters(mock):
    assert mock.pva("GET", "/requests", params={"frist": 5, "orderBy": "desc"}).status_code == 200
    assert mock.pnx("GET", "/us/operators", params={"server": 1}).status_code == 200     # all known
    [finding] = findings(mock)
    assert (finding["rule"], finding["key"], finding["summary"]) == (
        "lenient-request", KEY, "1 request had body fields or query parameters the API ignored: ?frist")
    assert finding["evidence"] == [request("GET", "/v3/api/requests", 200)]


def test_unknown_body_fields_and_a_trailing_slash(mock):
    assert mock.pva("POST", "/purchase", json=purchase_body(servce="typo")).status_code == 200
    assert mock.pva("GET", "/balance/").status_code == 200
    lenient = findings(mock, rule="lenient-request")
    assert [(f["severity"], f["count"], f["summary"]) for f in lenient] == [
        ("warning", 1, "1 request had body fields or query parameters the API ignored: servce"),
        ("info", 1, "1 request to a path with a trailing slash, which this API answers as without it")]
    assert lenient[0]["evidence"] == [request("POST", "/v3/api/purchase", 200)]
    assert lenient[1]["evidence"] == [request("GET", "/v3/api/balance/", 200)]
    assert report(mock)["worst"] == "warning"


# -- well-behaved clients ---------------------------------------------------------------------


def test_the_example_clients_flows_make_no_finding(start_server, receiver):
    server = start_server(scenario_with())
    mock = SmsMock(server.url)
    mock.set_webhook(KEY, receiver.url)
    mock.set_webhook(LIVE, receiver.url)
    pva = PVADealsClient(server.url + "/v3/api", KEY)
    bought = pva.purchase("Airbnb")
    assert pva.request(bought["_id"])["status"] == "RESERVED"
    mock.advance("3s")                                  # the SMS arrives
    assert pva.request(bought["_id"])["status"] == "COMPLETED"
    pva.balance()
    waiting = pva.purchase("3Fun")                      # never gets a code: given back in time
    mock.advance("3s")
    assert pva.request(waiting["_id"])["status"] == "RESERVED"
    pva.flag(waiting["_id"])
    assert pva.find_request(bought["_id"])["_id"] == bought["_id"]
    rental = pva.rent("Airbnb", 30)
    pva.toggle_auto_renew(rental["_id"])

    pnx = ProvynxClient(server.url + "/api/v1/sms", LIVE)
    number = pnx.buy_us("whatsapp")
    assert pnx.code(number["id"]) is None
    mock.advance("5s")
    assert pnx.code(number["id"])
    other = pnx.buy_us("paypal")                        # never gets a code: cancelled in time
    pnx.cancel(other["id"])
    pnx.balance()
    receiver.wait_for(4)
    mock.advance("1m")
    assert report(server)["findings"] == []
    assert all(a["ok"] for a in mock.webhooks())
    assert report(server)["counts"]["webhook_attempts"] == len(mock.webhooks()) >= 4


# -- mockserver report ------------------------------------------------------------------------


def test_the_command_prints_a_table_and_can_fail(mock, capsys):
    for _ in range(3):
        mock.pva("GET", "/request/nope")
    assert cli.main(["report", "--url", mock.url]) == 0
    out = capsys.readouterr().out
    assert "Client report: 1 finding, worst: warning" in out
    assert "WARNING   refusal-loop  pvadeals  API-test-one  1" in out
    assert "advice: Read the refusal" in out
    assert "GET /v3/api/request/nope 404" in out
    assert cli.main(["report", "--url", mock.url, "--fail-on", "warning"]) == 1
    assert cli.main(["report", "--url", mock.url, "--fail-on", "error"]) == 0
    capsys.readouterr()
    assert cli.main(["report", "--url", mock.url, "--json", "--key", OTHER_KEY]) == 0
    assert '"worst": "none"' in capsys.readouterr().out


def test_sms_mock_report(mock):
    mock.pva("GET", "/balance/")
    handle = SmsMock(mock.url)
    assert [f["rule"] for f in handle.report()["findings"]] == ["lenient-request"]
    assert handle.report(key=OTHER_KEY)["findings"] == []


def test_every_rule_module_is_in_the_list_once_and_in_the_docs():
    """A rule is its module plus its line in RULES: a module left out of the list would never run."""
    import pkgutil
    from pathlib import Path

    from mockserver.report import rules
    modules = {module.name for module in pkgutil.iter_modules(rules.__path__)}
    listed = [type(rule).__module__.rsplit(".", 1)[1] for rule in rules.RULES]
    assert sorted(listed) == sorted(modules) and len(set(listed)) == len(listed)
    table = (Path(__file__).parent.parent / "docs" / "report.md").read_text()
    assert all(f"| `{rule.id}` |" in table for rule in rules.RULES)


# A tenant's part of a snapshot's "report", as the version before the rules were modules wrote it.
_REQUEST_AT = ["request", 1769640146452, "POST", "/v3/api/purchase"]
_EARLIER_REPORT = {
    "tenant": ["pvadeals", KEY],
    "counts": {"requests": 13, "rate_limited": 3, "client_errors": 0, "server_errors": 1, "dropped": 0, "polls": 3,
               "purchases": 3, "releases": 0, "webhook_attempts": 2, "webhook_failures": 2},
    "keys": [{"key": KEY, "loop": ["GET", "/v3/api/request/nope", "", 0, 404], "loop_run": 2,
              "loop_first": ["request", 1769640146452, "GET", "/v3/api/request/nope", 404],
              "failed_purchase": ["/v3/api/purchase", 123, False, None, [*_REQUEST_AT, 500]],
              "retry_until": [{"limit": 6, "window_ms": 60000, "scope": "key", "algorithm": "rolling", "paths": []},
                              1769640206452]}],
    "polls": [{"id": "697a914bbf593070a499eb80", "last_ms": 1769640387452, "done": False, "after_done": 0}],
    "probes": {"missing-signature": ["accepts-forged", ["webhook", 1769640146452, "msg_x"]],
               "genuine": [None, ["webhook", 1769640146452, "msg_y"]]},
    "findings": [
        {"rule": "unsafe-retry", "key": KEY, "variant": "not-idempotent", "count": 1,
         "evidence": [[*_REQUEST_AT, 500], [*_REQUEST_AT, 200]], "names": []},
        {"rule": "rate-limited", "key": KEY, "count": 3, "evidence": [[*_REQUEST_AT, 429]], "names": [],
         "variant": {"rule": {"limit": 6, "window_ms": 60000, "scope": "key", "algorithm": "rolling", "paths": []}}},
        {"rule": "retry-after-ignored", "key": KEY, "variant": "", "count": 2, "evidence": [[*_REQUEST_AT, 429]],
         "names": []},
        {"rule": "webhook-trouble", "key": None, "variant": "never-accepted", "count": 1,
         "evidence": [["webhook", 1769640272452, "msg_d"]], "names": []},
        {"rule": "webhook-receiver", "key": None, "variant": "accepts-forged", "count": 1,
         "evidence": [["webhook", 1769640146452, "msg_x"]], "names": ["missing-signature"]},
        {"rule": "lenient-request", "key": KEY, "variant": "ignored-fields", "count": 1,
         "evidence": [["request", 1769640146452, "GET", "/v3/api/requests", 200]], "names": ["frist"]}]}


def test_the_report_part_of_an_earlier_snapshot_restores_and_reads_back_as_it_was(mock):
    assert mock.pva("GET", "/balance").status_code == 200
    document = mock.control("GET", "/snapshot").json()
    document["report"] = [_EARLIER_REPORT]
    assert mock.control("PUT", "/snapshot", json=document).status_code == 200
    assert mock.control("GET", "/snapshot").json()["report"] == [_EARLIER_REPORT]
    assert [(f["rule"], f["severity"], f["summary"]) for f in findings(mock)] == [
        ("retry-after-ignored", "error", "2 requests sent before the Retry-After of a 429 had passed (the real API "
                                         "may refuse longer, or block the key)"),
        ("unsafe-retry", "error", "1 time: a purchase that failed (5xx or a broken connection) was sent again at "
                                  "once, without looking it up first (this API has no idempotency): a possible double "
                                  "purchase"),
        ("webhook-receiver", "error", "the webhook receiver accepted (2xx) 1 probe it should have refused: "
                                      "missing-signature"),
        ("webhook-trouble", "error", "1 webhook message never accepted by the receiver, its retries used up"),
        ("lenient-request", "warning", "1 request had body fields or query parameters the API ignored: frist")]


# -- number-cycling ---------------------------------------------------------------------------


def test_flagging_numbers_and_buying_them_again(mock):
    """PVADeals: a flag is a cancel; each cycle here is a number bought, flagged a second later,
    and the same service bought again at once (the sms-activate cycles: test_smsactivate_cycling.py)."""
    [bought] = mock.buy(THREE_FUN)
    ids = [bought["_id"]]
    for cycles in range(1, 4):
        mock.advance("1s")
        assert mock.pva("POST", f"/flag/{ids[-1]}").status_code == 200
        ids.append(mock.buy(THREE_FUN)[0]["_id"])
        if cycles < 3:
            assert findings(mock, rule="number-cycling") == []
    [finding] = findings(mock, rule="number-cycling")
    assert (finding["severity"], finding["provider"], finding["key"], finding["count"]) == (
        "warning", "pvadeals", KEY, 3)
    assert finding["summary"] == ("3 cycles of cancelling a number and buying one again for the same service and "
                                  f"country (3Fun ({THREE_FUN})): 3 or more within 10m")
    assert [e["id"] for e in finding["evidence"]] == [ids[0], ids[1], ids[1], ids[2], ids[2], ids[3]]


def test_numbers_bought_together_and_flagged_together_are_no_cycle(mock):
    bought = [mock.buy(THREE_FUN)[0]["_id"] for _ in range(4)]
    for request_id in bought:
        assert mock.pva("POST", f"/flag/{request_id}").status_code == 200
    assert findings(mock, rule="number-cycling") == []
