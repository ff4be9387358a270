"""`mockserver verify smsactivate` against a second mockserver process standing in for a real
provider of the family: the same scenario conforms; one speaking another dialect shows its drift;
--spend buys the cheapest number and tries a cancel; the catalogue saves as three fixtures."""
from __future__ import annotations

import json

import yaml
from test_verify import run_verify, standin, verdicts  # noqa: F401  (standin: the fixture)

KEY = "SA-mock-default"
STUBS = "/stubs"


def test_the_same_scenario_conforms(standin):  # noqa: F811
    real = standin()
    code, out, err = run_verify("smsactivate", real.url + STUBS, KEY, as_json=True)
    report = json.loads(out)
    assert code == 0, out + err
    assert [name for name in verdicts(report)] == [
        "balance", "countries", "services", "prices", "operators", "numbers status", "active activations", "no key",
        "wrong key", "unknown activation", "unknown action", "no action"]
    assert report["conformance"] == {"matching": 12, "calls": 12}
    assert KEY not in out + err


def test_another_dialect_shows_as_differences(standin):  # noqa: F811
    real = standin(**{"smsactivate.dialect": "privatesms"})
    code, out, _ = run_verify("smsactivate", real.url + STUBS, KEY, as_json=True)
    assert code == 1
    found = verdicts(json.loads(out))
    assert {name for name, (verdict, _) in found.items() if verdict != "pass"} >= {"wrong key", "unknown activation",
                                                                                 "prices"}


def test_spending_buys_the_cheapest_number_and_tries_a_cancel(standin):  # noqa: F811
    real = standin()
    code, out, err = run_verify("smsactivate", real.url + STUBS, KEY, as_json=True, spend=True, yes=True)
    assert code == 0, out + err
    assert list(verdicts(json.loads(out)))[-3:] == ["purchase", "status", "early cancel"]


def test_the_catalogue_saves_as_fixtures_a_scenario_loads(standin, tmp_path):  # noqa: F811
    real = standin()
    target = tmp_path / "real.yaml"
    code, out, err = run_verify("smsactivate", real.url + STUBS, KEY, save_catalog=target)
    assert code == 0, out + err
    services = yaml.safe_load((tmp_path / "real-services.yaml").read_text())
    assert {"code": "tg", "name": "Telegram"} in services
    prices = yaml.safe_load((tmp_path / "real-prices.yaml").read_text())
    assert {"country": 187, "service": "tg", "cost": 4.71, "count": 3339} in prices
    countries = yaml.safe_load((tmp_path / "real-countries.yaml").read_text())
    assert {"id": 187, "eng": "USA", "rus": "США", "chn": "美国"} in countries
