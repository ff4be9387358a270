"""Hostile values inside a scenario: YAML that refers to itself, numbers and dates Python cannot
build or show, amounts past any balance, templates that pad an SMS to megabytes, webhook ports no
connection can use. Each is refused at load, over HTTP (400, every problem at its line, no value
quoted, the running scenario and its answers unchanged) and by `mockserver validate` (file:line,
no traceback)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from harness import BASE_SCENARIO, LIVE, MockServer, scenario_with
from mockserver.loading import ScenarioError, load_text

WHERE = "PUT /_mock/scenario"
NUMBER = "not valid YAML: a number longer than 64 characters (MOCKSERVER_MAX_YAML_NUMBER_CHARS)"
NO_DATE = "not valid YAML: a date or time that does not exist (quote it if it is text)"
SELF = "an alias inside the value it refers to (a value that contains itself)"
MONEY = "at most 1000000000 (MOCKSERVER_MAX_MONEY)"
PLACES = "at most 6 decimal places (MOCKSERVER_MAX_MONEY_PLACES)"
WIDTH = "bad template: a width or precision over 160 (MOCKSERVER_MAX_TEMPLATE_WIDTH)"
LONG_SMS = "can render an SMS longer than 1600 characters (MOCKSERVER_MAX_SMS_CHARS)"
PORT = "a webhook URL's port is from 1 to 65535"
SERVICE = "- {id: 697139f7fe5460ddc2f27214, name: Airbnb, price: 0.2"


@pytest.fixture(scope="module")
def server():
    unlimited = [{"limit": 1000000, "window": "1s"}]      # refused() asks both APIs after every load
    mock = MockServer(scenario_with(**{"pvadeals.rate_limits": unlimited, "provynx.rate_limits": unlimited}))
    yield mock
    mock.close()


def refused(server, text: str) -> list[str]:
    """PUT a YAML scenario that must be refused; the running one must answer exactly as before."""
    before = {path: server.control("GET", path).json() for path in ("/scenario", "/health")}
    response = server.control("PUT", "/scenario", data=text.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 400, response.text[:500]
    body = response.json()
    assert body["error"] == "scenario not loaded; the running one is unchanged"
    for path, answer in before.items():
        again = server.control("GET", path)
        assert again.status_code == 200 and again.json() == answer
    assert server.pva("GET", "/balance").status_code == 200          # the old keys still work
    assert server.pnx("GET", "/balance", key=LIVE).status_code == 200
    return body["problems"]


# -- (a) a value that holds itself ---------------------------------------------------------------


SELF_REFERENCES = ["name: x\nfoo: &a [*a]\n", "name: x\nfoo: &a {b: [1, {c: *a}]}\n", "name: x\nfoo: &a [&b [*a]]\n"]


@pytest.mark.parametrize("text", SELF_REFERENCES)
def test_an_alias_inside_its_own_value_is_refused(server, text):
    assert refused(server, text) == [f"{WHERE}:2: {SELF}"]


def test_an_alias_loads_once_its_value_is_complete():
    scenario = load_text("name: x\npvadeals:\n  area_codes: &codes ['212', '313']\n"
                         "  services:\n    - {id: 697139f7fe5460ddc2f27214, name: A, price: 1, area_codes: *codes}\n")
    assert scenario.pvadeals.services[0].area_codes == ("212", "313")
    with pytest.raises(ScenarioError) as refusal:
        load_text("name: x\npvadeals:\n  area_codes: &codes ['212', *codes]\n")
    assert refusal.value.problems == [f"<scenario>:3: {SELF}"]


# -- (b) numbers checked before they are built; nothing GET /_mock/scenario cannot show --------------

BASE60 = ":".join(["1"] * ((1024 * 1024 - 64) // 2))          # a 1 MB YAML 1.1 base-60 int


LONG_NUMBERS = ["1" * 5000, "0x" + "f" * 5000, "0b" + "1" * 20000, "1:" * 2000 + "1", "-" + "9" * 65, "1." + "1" * 100]


@pytest.mark.parametrize("number", LONG_NUMBERS)
def test_numbers_past_the_bound_are_refused_before_they_are_built(server, number):
    text = f"name: x\nseed: {number}\n"
    assert refused(server, text) == [f"{WHERE}:2: {NUMBER}"]


def test_a_megabyte_base60_seed_costs_no_time(server):
    text = f"name: x\nseed: {BASE60}\n"
    assert len(text.encode()) <= 1024 * 1024
    started = time.process_time()
    with pytest.raises(ScenarioError) as refusal:
        load_text(text)
    assert time.process_time() - started < 2          # it was 71 s of CPU
    assert refusal.value.problems == [f"<scenario>:2: {NUMBER}"]
    assert refused(server, text) == [f"{WHERE}:2: {NUMBER}"]


def test_numbers_within_the_bound_load_in_every_yaml_form():
    assert load_text("name: x\nseed: " + "9" * 64 + "\n").seed == int("9" * 64)
    assert load_text("name: x\nseed: 0x" + "f" * 62 + "\n").seed == int("f" * 62, 16)
    assert load_text("name: x\nseed: 1:30:00\n").seed == 5400
    assert load_text("name: x\nseed: -0b101\n").seed == -5
    assert load_text("name: x\nprovynx:\n  servers:\n    0x2: provynx/server2.yaml\n").provynx.servers[2].id == 2


SET_VALUE = "name: x\npvadeals:\n  area_codes: !!set {'212', '313'}\n"


def test_a_value_no_json_answer_can_hold_is_refused(server):
    text = SET_VALUE
    problem = ("pvadeals.area_codes: a value GET /_mock/scenario could not show as JSON (a set, binary data or "
               "an endless number); write a list, text or a finite number")
    assert refused(server, text) == [f"{WHERE}:3: {problem}"]


def test_an_unknown_tag_is_refused_without_naming_it(server):
    assert refused(server, "name: x\ndescription: !TOPSECRET-tag x\n") == [
        f"{WHERE}:2: not valid YAML: a tag YAML does not define (only the standard ones, like !!str, are taken)"]


# -- (c) dates that do not exist ---------------------------------------------------------------------


NO_SUCH_DATES = ["2020-02-30", "2021-02-29T10:00:00Z", "2020-02-03T10:00:00+99:00", "2020-13-01 10:00:00"]


@pytest.mark.parametrize("start", NO_SUCH_DATES)
def test_dates_that_do_not_exist_are_refused_at_their_line(server, start):
    text = f"name: x\nclock:\n  start: {start}\n"
    assert refused(server, text) == [f"{WHERE}:3: {NO_DATE}"]


# -- (d) amounts -----------------------------------------------------------------------------------------


AMOUNTS = [
    ("pvadeals:\n  accounts:\n    - {key: API-x, credits: '1e999999'}\n", f"pvadeals.accounts[0].credits: {MONEY}"),
    ("pvadeals:\n  accounts:\n    - {key: API-x, credits: 1000000000.01}\n", f"pvadeals.accounts[0].credits: {MONEY}"),
    ("pvadeals:\n  tenants: {credits: '1e10'}\n", f"pvadeals.tenants.credits: {MONEY}"),
    ("pvadeals:\n  services:\n    " + SERVICE + "0000001}\n", f"pvadeals.services[0].price: {PLACES}"),
    ("provynx:\n  accounts:\n    - {keys: [nsk_live_x], balance: '1e309'}\n", f"provynx.accounts[0].balance: {MONEY}"),
    ("provynx:\n  sandbox: {balance: '0.0000001'}\n", f"provynx.sandbox.balance: {PLACES}"),
]


@pytest.mark.parametrize(("section", "problem"), AMOUNTS)
def test_amounts_past_the_bounds_are_refused(server, section, problem):
    text = f"name: x\n{section}"
    line = text.count("\n")
    assert refused(server, text) == [f"{WHERE}:{line}: {problem}"]


def test_amounts_at_the_bounds_load():
    scenario = load_text("name: x\npvadeals:\n  accounts:\n    - {key: API-x, credits: '1000000000.000000'}\n"
                         "    - {key: API-y, credits: '0.000001'}\n    - {key: API-z, credits: 1e3}\n")
    assert [str(a.credits) for a in scenario.pvadeals.accounts] == ["1000000000.000000", "0.000001", "1E+3"]
    for amount, problem in (("'1000000000.000001'", MONEY), ("'0.0000005'", PLACES)):
        with pytest.raises(ScenarioError) as refusal:
            load_text(f"name: x\npvadeals:\n  accounts:\n    - {{key: API-x, credits: {amount}}}\n")
        assert refusal.value.problems == [f"<scenario>:4: pvadeals.accounts[0].credits: {problem}"]


# -- (e) templates ---------------------------------------------------------------------------------------


TEMPLATES = [
    ("{code:>200000000}", WIDTH), ("{code:0>161}", WIDTH), ("{number:.161}", WIDTH),
    ("{service:" + "9" * 5000 + "}", WIDTH), ("{code:>160}" * 11, LONG_SMS),
]


def template_text(template: str) -> str:
    return f"name: x\npvadeals:\n  behaviors:\n    - sms:\n        - text: '{template}'\n"


@pytest.mark.parametrize(("template", "problem"), TEMPLATES)
def test_templates_are_measured_without_being_filled(server, template, problem):
    text = template_text(template)
    field = "pvadeals.behaviors[0].sms" + ("[0].text" if problem == WIDTH else "")
    line = 5 if problem == WIDTH else 4
    started = time.process_time()
    assert refused(server, text) == [f"{WHERE}:{line}: {field}: {problem}"]
    assert time.process_time() - started < 2


def test_a_service_wording_with_a_long_name_is_measured(server):
    name = "N" * 1590
    assert refused(server, f"name: x\nprovynx:\n  servers:\n    1:\n      us:\n        operators: [{{id: any, name: Any}}]\n"
                           f"        services: [{{id: s, name: {name}, price: 1, sms: 'Your {{service}} code: {{code}}'}}]\n") == [
        f"{WHERE}:7: provynx.servers[1].us.services[0].sms: {LONG_SMS}"]


@pytest.mark.parametrize("template", ["{code.__class__}", "{code[0]}", "{0}", "{}", "{code!r}", "{code:{number}}",
                                      "{code:d}", "{code:=5}", "{code"])
def test_templates_take_only_the_three_placeholders(server, template):
    assert refused(server, f"name: x\npvadeals:\n  behaviors:\n    - sms:\n        - text: '{template}'\n") == [
        f"{WHERE}:5: pvadeals.behaviors[0].sms[0].text: bad template: use only the placeholders {{service}}, "
        "{code} and {number} (write {{ and }} for a literal brace)"]


def test_widths_within_the_bound_fill_the_sms(start_server):
    server = start_server({**BASE_SCENARIO, "provynx": {**BASE_SCENARIO["provynx"], "behaviors": [
        {"match": {}, "sms": [{"on_poll": 2, "text": "[{code:*^10}] {service:.3}"}]}]}})
    number = server.pnx_buy()
    polls = [server.pnx("GET", f"/us/numbers/{number['id']}/code").json() for _ in range(2)]
    assert polls[1]["sms"] == f"[{polls[1]['code']:*^10}] Wha"
    with pytest.raises(ScenarioError) as refusal:
        load_text("name: x\nprovynx:\n  behaviors:\n    - sms: [{on_poll: 2, text: '{code:*^161}'}]\n")
    assert refusal.value.problems == [f"<scenario>:4: provynx.behaviors[0].sms[0].text: {WIDTH}"]


# -- (3) webhook ports --------------------------------------------------------------------------------------


PORTS = [
    ("pvadeals:\n  accounts:\n    - {key: API-x, webhook: 'http://127.0.0.1:99999/'}\n", "pvadeals.accounts[0].webhook"),
    ("pvadeals:\n  tenants: {webhook: 'http://127.0.0.1:0/x'}\n", "pvadeals.tenants.webhook"),
    ("provynx:\n  accounts:\n    - {keys: [nsk_live_x], webhook: {url: 'https://[::1]:65536/'}}\n",
     "provynx.accounts[0].webhook.url"),
    ("provynx:\n  tenants: {webhook: {url: 'http://localhost:123456789012/'}}\n", "provynx.tenants.webhook.url"),
]


@pytest.mark.parametrize(("section", "problem"), PORTS)
def test_webhook_ports_outside_1_to_65535_are_refused(server, section, problem):
    text = f"name: x\n{section}"
    line = text.count("\n")
    assert refused(server, text) == [f"{WHERE}:{line}: {problem}: {PORT}"]


def test_webhook_ports_at_the_ends_load():
    scenario = load_text("name: x\npvadeals:\n  accounts:\n    - {key: API-x, webhook: 'http://127.0.0.1:65535/'}\n"
                         "provynx:\n  accounts:\n    - {keys: [nsk_live_x], webhook: {url: 'http://h:1'}}\n")
    assert scenario.pvadeals.accounts[0].webhook == "http://127.0.0.1:65535/"
    assert scenario.provynx.accounts[0].webhook.url == "http://h:1"
    with pytest.raises(ScenarioError) as refusal:
        load_text("name: x\nprovynx:\n  accounts:\n    - {keys: [nsk_live_x], webhook: {url: 'http://h:65536'}}\n")
    assert refusal.value.problems == [f"<scenario>:4: provynx.accounts[0].webhook.url: {PORT}"]


# -- mockserver validate ------------------------------------------------------------------------------------

HOSTILE = [*SELF_REFERENCES, *(f"name: x\nseed: {number}\n" for number in LONG_NUMBERS), SET_VALUE,
           *(f"name: x\nclock:\n  start: {start}\n" for start in NO_SUCH_DATES),
           *(f"name: x\n{section}" for section, _ in AMOUNTS + PORTS),
           *(template_text(template) for template, _ in TEMPLATES)]


def test_validate_reports_each_hostile_file_as_the_control_api_does(server, tmp_path):
    """One `mockserver validate` run over every file above: one line per problem, at the file's
    own path and line, the same problems PUT /_mock/scenario answered, and no traceback."""
    paths, expected = [], []
    for index, text in enumerate(HOSTILE):
        path = tmp_path / f"hostile{index:02}.yaml"
        path.write_text(text)
        paths.append(str(path))
        expected += [problem.replace(WHERE, str(path), 1) for problem in refused(server, text)]
    result = subprocess.run([sys.executable, "-m", "mockserver", "validate", *paths], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout.splitlines() == expected
