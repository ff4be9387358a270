"""How `mockserver verify provynx` checks the sandbox against the real Provynx API: the calls it
makes (with a test key, the whole sandbox flow, which Provynx makes free; with a live key,
nothing that costs unless asked), and how it turns the real catalogs into server fixtures."""
from __future__ import annotations

from functools import cache
from importlib.resources import files

from mockserver.providers.contract import Verification
from mockserver.providers.provynx import defaults
from mockserver.providers.provynx.backend import is_sandbox_key
from mockserver.providers.verifying import dig, pace_for

SERVERS = tuple(defaults.SERVER_FIXTURES)    # the servers clients may name
NO_SUCH_NUMBER = "num_" + "0" * 20
WRONG_KEY = "nsk_live_verify_no_such_key"


def script(s, spend: bool, full_catalog: bool = False) -> None:
    s.call("balance", "GET", "GET /balance")
    first_country = None
    for server in SERVERS:
        s.call(f"us operators, server {server}", "GET", "GET /us/operators", query={"server": server})
        s.call(f"us services, server {server}", "GET", "GET /us/services", query={"server": server})
        countries = s.call(f"countries, server {server}", "GET", "GET /global/countries", query={"server": server})
        codes = [c.get("code") for c in dig(countries.json(), "countries") or [] if isinstance(c, dict)]
        for code in codes if full_catalog else codes[:1] if server == SERVERS[0] else ():
            first_country = first_country or code
            query = {"server": server, "country": code}
            s.call(f"global operators, server {server}, {code}", "GET", "GET /global/operators", query=query)
            s.call(f"global services, server {server}, {code}", "GET", "GET /global/services", query=query)
    s.call("no key", "GET", "GET /balance", key=None, unauthorized=True)
    s.call("wrong key", "GET", "GET /balance", key=WRONG_KEY, unauthorized=True)
    s.call("unknown number", "GET", "GET /us/numbers/<id>", id=NO_SUCH_NUMBER)
    s.call("malformed purchase", "POST", "POST /us/numbers", json_body={})
    s.call("unknown route", "GET", None, path="/verify-no-such-route")
    if is_sandbox_key(s.key):
        _number_flow(s, "sandbox")          # test keys cost nothing, by the provider's own rules
    elif spend:
        _number_flow(s, "live")


def _number_flow(s, mode: str) -> None:
    listed = next((e for e in s.exchanges if e.name == f"us services, server {SERVERS[0]}"), None)
    service = _cheapest(dig(listed.json(), "services") if listed is not None else None)
    if service is None:
        return
    if mode == "live":
        s.spend(f"one US {service['name']} number for ${service['price']}, canceled at once (refunded while "
                "no code came)")
    bought = s.call(f"{mode} purchase", "POST", "POST /us/numbers", json_body={"service": service["id"]})
    number = dig(bought.json(), "id")
    if not isinstance(number, str):
        return
    if mode == "sandbox":
        s.call("sandbox code, first poll", "GET", "GET /us/numbers/<id>/code", id=number)
        s.call("sandbox code, second poll", "GET", "GET /us/numbers/<id>/code", id=number)
    s.call(f"{mode} number", "GET", "GET /us/numbers/<id>", id=number)
    s.call(f"{mode} cancel", "DELETE", "DELETE /us/numbers/<id>", id=number)


def _cheapest(services) -> dict | None:
    offered = [s for s in services or [] if isinstance(s, dict) and isinstance(s.get("price"), (int, float))
               and isinstance(s.get("id"), str) and s.get("available", 1)]
    return min(offered, key=lambda s: s["price"], default=None)


def catalog(real: list) -> dict[str, tuple[object, str | None]]:
    """Each server's catalog as a server fixture ({"-server1": (data, note), ...}). A country's number
    format is not in any answer: it is taken from the bundled catalogs, and a country they do
    not know is left out (the saved file says which)."""
    answers = {exchange.name: exchange.json() for exchange in real}
    files: dict[str, tuple[object, str | None]] = {}
    for server in SERVERS:
        operators = dig(answers.get(f"us operators, server {server}"), "operators")
        services = dig(answers.get(f"us services, server {server}"), "services")
        if not isinstance(operators, list) or not isinstance(services, list):
            continue
        countries, unknown = [], []
        for country in dig(answers.get(f"countries, server {server}"), "countries") or []:
            code = country.get("code") if isinstance(country, dict) else None
            listed = dig(answers.get(f"global services, server {server}, {code}"), "services")
            if code not in _number_formats() or not isinstance(listed, list):
                unknown.append(code)
                continue
            countries.append({"code": code, "name": country.get("name"), "number_format": _number_formats()[code],
                              "operators": _operators(dig(answers.get(f"global operators, server {server}, {code}"),
                                                          "operators")),
                              "services": _services(listed)})
        note = (f"Left out, their number format unknown to mockserver: {', '.join(map(str, unknown))}"
                if unknown else None)
        files[f"-server{server}"] = ({"us": {"operators": _operators(operators), "services": _services(services)},
                                      "global": {"countries": countries}}, note)
    return files


def _operators(listed) -> list[dict]:
    return [{"id": o.get("id"), "name": o.get("name")} for o in listed or [] if isinstance(o, dict)]


def _services(listed) -> list[dict]:
    return [{"id": s.get("id"), "name": s.get("name"), "price": s.get("price"), "stock": s.get("available", 0)}
            for s in listed if isinstance(s, dict)]


@cache
def _number_formats() -> dict[str, str]:
    """Each country's number format, from the bundled catalogs (the default scenario's servers),
    read as plain data: only a verification run needs them."""
    import yaml
    folder = files("mockserver.fixtures") / "provynx"
    return {country["code"]: country["number_format"]
            for server in sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))
            for country in yaml.safe_load((folder / server).read_text())["global"]["countries"]}


def _sandbox_key(section, key: str) -> str:
    """A key of the sandbox's first account, of the same mode (test or live) as the user's."""
    keys = [k for account in section.accounts for k in account.keys if is_sandbox_key(k) == is_sandbox_key(key)]
    return keys[0]


VERIFICATION = Verification(
    script=script, catalog=catalog,
    value_keys=frozenset({"error", "currency", "sandbox", "region", "country", "status", "operator", "server"}),
    pace_s=pace_for(defaults.RATE_LIMITS[0]),
    sandbox_key=_sandbox_key,
)
