"""The dashboard over plain HTTP, where no browser is needed."""
from __future__ import annotations

import html
import re

from harness import AIRBNB, LIVE, scenario_with


def test_the_send_form_is_prefilled_with_the_code_shape_the_behavior_sets(start_server):
    mock = start_server(scenario_with(**{"provynx.behaviors": [
        {"match": {"service": "whatsapp"}, "code": {"length": 8, "alphabet": "letters"},
         "sms": [{"after": "1m", "text": "WhatsApp code {code}"}]}]}))
    number = mock.pnx_buy("us", key=LIVE)
    live = mock.control("GET", "/dashboard/live")
    assert live.status_code == 200
    row = re.search(rf'<tr data-id="{number["id"]}".*?</tr>', live.json()["numbers"], re.S).group(0)
    prefilled = html.unescape(re.search(r'data-text="([^"]*)"', row).group(1))
    # The service's own wording (the form's default), around a code shaped as the behavior says.
    assert re.fullmatch(r"Your WhatsApp code: [A-Z]{8}\. Don't share this code with others", prefilled), prefilled
    # Drawing it used none of the sandbox's own codes: the SMS that arrives is what it would be anyway.
    again = start_server(scenario_with(**{"provynx.behaviors": [
        {"match": {"service": "whatsapp"}, "code": {"length": 8, "alphabet": "letters"},
         "sms": [{"after": "1m", "text": "WhatsApp code {code}"}]}]}))
    other = again.pnx_buy("us", key=LIVE)
    for server in (mock, again):
        server.advance("1m")
    codes = [s.pnx("GET", f"/us/numbers/{n['id']}/code", key=LIVE).json()["code"]
             for s, n in ((mock, number), (again, other))]
    assert codes[0] == codes[1] and re.fullmatch(r"[A-Z]{8}", codes[0])


def test_a_rental_row_says_its_kind_days_left_and_offers_its_toggle(mock):
    rental = mock.pva("POST", "/purchase-ltr", json={"serviceId": AIRBNB, "duration": 3}).json()["data"]
    mock.advance("1d")
    live = mock.control("GET", "/dashboard/live").json()["numbers"]
    row = re.search(rf'<tr data-id="{rental["_id"]}".*?</tr>', live, re.S).group(0)
    assert '<span class="muted" data-cell="note">LTR 3 days · 2 days left · auto-renew off</span>' in row
    assert f'data-verb="auto-renew" data-path="/v3/api/renew-ltr/{rental["_id"]}" data-method="POST"' in row
    assert 'data-verb="flag"' not in row               # its SMS arrived: no flag, as the API would say


def _row(live: dict, row_id: str) -> str:
    return re.search(rf'<tr data-id="{row_id}".*?</tr>', live["numbers"], re.S).group(0)


def _message(live: dict, target_id: str) -> str:
    return re.search(rf'<li data-message-for="{target_id}">.*?</li>', live["messages"], re.S).group(0)


def test_messages_of_both_providers_show_their_time(mock):
    from harness import TEST
    [request] = mock.buy(AIRBNB)
    number, sandboxed = mock.pnx_buy(), mock.pnx_buy(key=TEST)
    mock.advance("3s")
    for _ in range(2):                          # the sandbox code comes on the second poll, now
        mock.pnx("GET", f"/us/numbers/{sandboxed['id']}/code", key=TEST)
    live = mock.control("GET", "/dashboard/live").json()
    assert "latest" not in live["messages"]
    for target, at in ((request["_id"], "2026-01-28T22:42:29.452Z"), (number["id"], "2026-01-28T22:42:29.452Z"),
                       (sandboxed["id"], "2026-01-28T22:42:29.452Z")):
        assert f'<time datetime="{at}" title="{at}">22:42:29</time>' in _message(live, target)


def test_a_sandbox_key_number_is_marked_and_not_priced(mock):
    from harness import TEST
    live_number, sandboxed = mock.pnx_buy(), mock.pnx_buy(key=TEST)
    live = mock.control("GET", "/dashboard/live").json()
    row = _row(live, sandboxed["id"])
    assert 'data-cell="sandbox"' in row and ">sandbox</span>" in row
    assert '<span class="muted" data-cell="price">not charged</span>' in row
    row = _row(live, live_number["id"])
    assert 'data-cell="sandbox"' not in row and '<span class="muted" data-cell="price">$0.85</span>' in row


def test_created_and_ends_show_the_date_too(mock):
    rental = mock.pva("POST", "/purchase-ltr", json={"serviceId": AIRBNB, "duration": 3}).json()["data"]
    row = _row(mock.control("GET", "/dashboard/live").json(), rental["_id"])
    assert ('<time datetime="2026-01-28T22:42:26.452Z" title="2026-01-28T22:42:26.452Z" data-cell="created">'
            '2026-01-28 22:42:26</time>') in row
    assert ('<time datetime="2026-01-31T22:42:26.452Z" title="2026-01-31T22:42:26.452Z" data-cell="ends">'
            '2026-01-31 22:42:26</time>') in row


def test_the_clock_set_suggestion_is_an_hour_after_the_virtual_now(mock):
    page = mock.control("GET", "/")
    assert 'id="clock-set" name="set" type="text" placeholder="2026-01-28T23:42:26.452Z"' in page.text
    mock.advance("2h")
    clock = mock.control("GET", "/dashboard/live").json()["clock"]
    assert ('<time data-now datetime="2026-01-29T00:42:26.452Z" data-set-suggestion="2026-01-29T01:42:26.452Z">'
            in clock)


def test_a_webhook_url_keeps_its_origin_in_one_piece(mock, receiver):
    url = receiver.url + "/hooks/provynx?secret=s3cr3t"
    assert mock.control("POST", "/webhook", json={"key": LIVE, "url": url}).status_code == 200
    mock.pnx_buy()
    mock.advance("3s")
    live = mock.control("GET", "/dashboard/live").json()
    origin, _, rest = url.partition("/hooks")
    shown = f'<span class="url-origin">{origin}</span><span class="url-rest">/hooks{html.escape(rest)}</span>'
    assert shown in live["accounts"] and shown in live["webhooks"]


def test_the_report_panel_lists_each_finding_with_its_advice_and_evidence(mock):
    assert "data-report-empty" in mock.control("GET", "/dashboard/live").json()["report"]
    for _ in range(3):
        assert mock.pva("GET", "/request/nope").status_code == 404
    panel = mock.control("GET", "/dashboard/live").json()["report"]
    [finding] = mock.control("GET", "/report").json()["findings"]
    row = re.search(r'<tr data-rule="refusal-loop" data-severity="warning">.*?</tr>', panel, re.S).group(0)
    assert html.escape(finding["advice"], quote=False) in row and html.escape(finding["summary"], quote=False) in row
    assert row.count("GET /v3/api/request/nope → 404") == len(finding["evidence"]) >= 2
    assert "data-report-empty" not in panel
