"""Scenario files: the bundled default loads; mistakes name the file, line and field."""
from __future__ import annotations

from decimal import Decimal

import pytest

from mockserver.loading import ScenarioError, load_scenario, load_text


def test_the_default_scenario_has_what_make_run_promises():
    scenario = load_scenario("default")
    pva = scenario.pvadeals
    assert [(a.key, a.credits) for a in pva.accounts] == [("API-mock-default", Decimal("100.0"))]
    assert len(pva.services) >= 25 and len({s.name for s in pva.services}) == len(pva.services)
    assert pva.lifetime_ms == 20 * 60_000
    three_fun = next(s for s in pva.services if s.name == "3Fun")
    airbnb = next(s for s in pva.services if s.name == "Airbnb")
    assert pva.behavior_for(three_fun, "+13135550100").sms == ()
    assert [p.after_ms for p in pva.behavior_for(airbnb, "+13135550100").sms] == [3000]


def test_an_inline_catalog_and_defaults_for_everything_unsaid():
    scenario = load_text("name: tiny\npvadeals:\n  services:\n    - {id: 0123456789abcdef01234567, name: Acme, price: 1.5}\n")
    assert [(s.name, s.price, s.code_length) for s in scenario.pvadeals.services] == [("Acme", Decimal("1.5"), 6)]
    assert scenario.pvadeals.webhooks.retries == 5 and scenario.pvadeals.rate_limits[0].limit == 100
    assert scenario.clock_start_ms is None and scenario.clock_frozen is False


@pytest.mark.parametrize("text, problem", [
    ("name: x\npvadeals:\n  lifetime: forever\n", "x.yaml:3: pvadeals.lifetime: not a duration (use e.g. 500ms"),
    ("name: x\npvadeals:\n  acounts: []\n", "x.yaml:3: pvadeals.acounts: Unknown field. Did you mean `accounts`?"),
    ("name: x\nprovynx:\n  behaviours: []\n", "x.yaml:3: provynx.behaviours: Unknown field. Did you mean `behaviors`?"),
    ("name: x\npvadeals:\n  behaviors:\n    - timout: {refund: false}\n",
     "x.yaml:4: pvadeals.behaviors[0].timout: Unknown field. Did you mean `timeout`?"),
    ("description: no name\n", "x.yaml:1: name: Missing data for required field."),
    ("name: x\npvadeals:\n  accounts:\n    - key: API-a\n      credits: -5\n",
     "x.yaml:5: pvadeals.accounts[0].credits: an amount must be a finite number, 0 or more"),
    ("name: x\npvadeals:\n  accounts:\n    - key: nsk_live_1\n",
     "x.yaml:4: pvadeals.accounts[0].key: a PVADeals key looks like API-xxxx (letters, digits, - _ .)"),
    ("name: x\npvadeals:\n  accounts:\n    - key: API-a\n    - key: API-a\n",
     "x.yaml:5: pvadeals.accounts[1].key: the same as accounts[0]"),
    ("name: x\npvadeals:\n  behaviors:\n    - match: {}\n      sms:\n        - after: 3s\n        - after: soon\n",
     "x.yaml:7: pvadeals.behaviors[0].sms[1].after: not a duration"),
    ("name: x\npvadeals:\n  behaviors:\n    - sms: [{text: 'Code {pin}'}]\n",
     "x.yaml:4: pvadeals.behaviors[0].sms[0].text: bad template: use only the placeholders"),
    ("name: x\npvadeals:\n  services: nowhere.yaml\n", "x.yaml:3: pvadeals.services: fixture file not found"),
    ("name: x\npvadeals:\n  rate_limits: [{limit: 10, window: 60s, scope: planet}]\n",
     "x.yaml:3: pvadeals.rate_limits[0].scope: Must be one of: key, ip."),
    ("name: x\nclock: {start: tomorrow}\n", "x.yaml:2: clock.start: not an instant"),
    ("name: [unclosed\n", "x.yaml:2: not valid YAML"),
    ("- just a list\n", "x.yaml:1: a scenario is a mapping with at least a name"),
    ("name: x\nprovynx:\n  accounts:\n    - keys: [" + ", ".join(f"nsk_live_{i}" for i in range(11)) + "]\n",
     "x.yaml:4: provynx.accounts[0].keys: an account has from 1 to 10 active keys"),
    ("name: x\nprovynx:\n  accounts:\n    - keys: [nsk_live_a]\n    - keys: [nsk_test_b]\n      revoked_keys: [nsk_live_a]\n",
     "x.yaml:5: provynx.accounts[1].keys: a key also given in accounts[0]"),
    ("name: x\nprovynx:\n  accounts:\n    - keys: [sk_live_a]\n",
     "x.yaml:4: provynx.accounts[0].keys[0]: a Provynx key looks like nsk_live_xxxx or nsk_test_xxxx"),
    ("name: x\nprovynx:\n  accounts:\n    - keys: [nsk_live_a]\n      webhook: {secret: abc}\n",
     "x.yaml:5: provynx.accounts[0].webhook.secret: a signing secret starts with whsec_"),
    ("name: x\nprovynx:\n  servers: {0: provynx/server1.yaml}\n", "x.yaml:3: provynx.servers[0]: a server is a whole number from 1"),
    ("name: x\nfaults:\n  - match: {provider: provynx}\n", "x.yaml:3: faults[0]: a fault needs respond"),
])
def test_mistakes_are_reported_with_file_line_and_field(text, problem):
    with pytest.raises(ScenarioError) as caught:
        load_text(text, source="x.yaml")
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems


def test_a_bad_fixture_file_is_named_with_its_own_line(tmp_path):
    (tmp_path / "catalog.yaml").write_text("- {id: 0123456789abcdef01234567, name: A, price: 1}\n- {id: nope, name: B, price: 1}\n")
    (tmp_path / "s.yaml").write_text("name: s\npvadeals:\n  services: catalog.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    assert f"{tmp_path / 'catalog.yaml'}:2: [1].id: must be a 24-digit lowercase hex ObjectId" in str(caught.value)


def test_an_unknown_name_lists_the_bundled_ones():
    with pytest.raises(ScenarioError, match=r"no-such: no such file, and no bundled scenario by that name \(bundled: default"):
        load_scenario("no-such")


def test_the_guide_example_loads_with_what_its_comments_say():
    from pathlib import Path
    guide = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text()
    example = guide.split("## A complete annotated example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    scenario = load_text(example, source="docs/scenarios.md")
    pva, pnx = scenario.pvadeals, scenario.provynx
    assert (scenario.name, scenario.seed, scenario.clock_frozen, scenario.strict_requests) == (
        "checkout-signup", 42, True, True)
    assert (pva.shape, pva.area_codes, pva.rentals.all_services_price, pva.rentals.end_refund) == (
        "both", ("212", "313", "415"), Decimal("12.99"), False)
    assert [a.key for a in pva.accounts] == ["API-ci-main", "API-ci-broke"]
    google = next(s for s in pva.services if s.name == "Google")
    assert [(p.after_ms, p.on_poll) for p in pva.behavior_for(google, "+12125550100").sms] == [(45_000, None), (None, 4)]
    assert pva.behavior_for(google, "+13135550100").sms == ()
    assert pnx.accounts[0].revoked_keys == ("nsk_live_old",) and pnx.cors_origins == ("http://localhost:5173",)
    server1 = pnx.servers[1]
    whatsapp = server1.country("gb").service("whatsapp")
    assert pnx.stock_of(server1, server1.country("gb"), whatsapp) == 0
    assert [f.times for f in scenario.faults] == [2, None, None]
    assert (scenario.faults[1].drop, scenario.faults[1].from_ms, scenario.faults[1].until_ms) == (True, 300_000, 420_000)
