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
