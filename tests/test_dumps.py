"""Answers are dumped by a plan made once per schema (shapes.compile_dumper), not by marshmallow's
field machinery: the two must agree, field for field and in order, on the answers a sandbox
really gives. The objects here are live ones, from a served sandbox that clients have used."""
from __future__ import annotations

import pytest

from harness import AIRBNB, KEY, LIVE, THREE_FUN, scenario_with
from mockserver.control import schemas as control
from mockserver.http.shapes import compile_dumper, schema_instance
from mockserver.providers.provynx import schemas as pnx
from mockserver.providers.pvadeals import schemas as pva


@pytest.fixture(scope="module")
def used(receiver_module):
    from harness import MockServer
    mock = MockServer(scenario_with(**{"pvadeals.accounts": [{"key": KEY, "credits": 100,
                                                                "webhook": receiver_module.url}]}))
    bought = mock.buy(AIRBNB, THREE_FUN)
    rental = mock.pva("POST", "/purchase-ltr", json={"serviceId": AIRBNB, "duration": 3}).json()["data"]
    mock.pva("POST", f"/renew-ltr/{rental['_id']}")
    mock.advance("3s")
    mock.pva("POST", f"/flag/{bought[1]['_id']}")
    mock.pva("POST", f"/reuse/{bought[0]['_id']}")
    for _ in range(2):
        mock.pva("GET", "/balance", key="API-nobody")
    number = mock.pnx_buy("us")
    mock.pnx_buy("global", service="whatsapp")
    mock.pnx("GET", f"/us/numbers/{number['id']}/code")
    mock.advance("3s")
    yield mock
    mock.close()


@pytest.fixture(scope="module")
def receiver_module():
    from mockserver.testing import WebhookReceiver
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def live_answers(mock):
    """(schema, object) pairs for every kind of answer, from the sandbox's own state."""
    sandbox = mock.sandbox
    pvadeals, provynx = sandbox.backends["pvadeals"], sandbox.backends["provynx"]
    account = pvadeals.authenticate(KEY)
    requests = list(account.requests.values())
    page = pvadeals.list_requests(account, first=20, after=None, before=None, order_field="_id", descending=True)
    caller = provynx.authenticate(LIVE)
    numbers = list(caller.account.numbers.values())
    catalog = provynx.catalog(1, "us", None, "any")
    server = provynx.server(1)
    yield pva.Balance, account
    rentals = [r for r in requests if r.kind == "LTR"]
    assert rentals
    for rental in rentals:
        yield pva.RentalPurchased, rental
        yield pva.AutoRenew, rental
    from mockserver.providers.pvadeals.routes import _listing
    for services in pva.SERVICES.values():
        yield services, {"services": [_listing(s, "http://127.0.0.1") for s in pvadeals.services.values()]}
    yield pva.Purchased, {"requests": requests}
    for request in requests:
        yield pva.Detail, request
        for reused in pva.REUSED.values():
            yield reused, request
        yield pva.Flagged, request
        yield pva.WebhookEvent, {"event": "sms_received", "at_ms": request.created_ms, "request": request,
                                 "message": "text"}
    yield pva.Page, page
    yield pva.Page, pvadeals.list_requests(account, first=1, after=None, before=None, order_field="_id",
                                           descending=False)
    yield pva.Error, {"message": "Service not found", "status": 404}
    yield pnx.Balance, {"balance": 9.15, "sandbox": False}
    yield pnx.UsOperators, {"server": 1, "operators": server.us.operators}
    yield pnx.GlobalOperators, {"server": 1, "country": "gb", "operators": server.countries[0].operators}
    yield pnx.Services, catalog
    yield pnx.Countries, server
    for number in numbers:
        yield pnx.Number, number
        yield pnx.Code, number
        yield pnx.OtpReceived, {"at_ms": number.created_ms, "number": number}
    yield pnx.Error, {"error": "Number not found"}
    yield control.AttemptAnswer, sandbox.engine.outbox.attempts()[0]
    yield control.AttemptsAnswer, {"attempts": sandbox.engine.outbox.attempts()}
    yield control.JournalAnswer, {"size": 1000, "requests": sandbox.journal.entries()}
    yield control.JournalAnswer, {"count": 3}
    yield control.ScenarioAnswer, sandbox.scenario
    yield control.HealthAnswer, sandbox
    yield control.PendingEvent, sandbox.engine.timeline.pending()[0]


def test_the_planned_dump_is_marshmallows_on_every_live_answer(used):
    checked = set()
    for schema, value in live_answers(used):
        planned = compile_dumper(schema_instance(schema))(value)
        expected = schema_instance(schema).dump(value)
        assert planned == expected and list(planned) == list(expected), schema.__name__
        checked.add(schema)
    assert len(checked) >= 20                # every answer schema above, not just a few


def test_the_providers_state_is_dumped_the_same_way(used):
    for provider in ("pvadeals", "provynx"):
        from mockserver.providers.registry import by_name
        plan = by_name(provider)
        state = plan.state(used.sandbox.backends[provider], None)
        assert state == used.control("GET", "/state").json()[provider]


# -- kinds of field the shapes do not use today, which a new shape may -----------------------------

from marshmallow import Schema, fields, post_dump  # noqa: E402


class _Leaf(Schema):
    name = fields.String()
    size = fields.Integer(dump_default=7)


class _Odd(Schema):
    method = fields.Method("shout")
    plucked = fields.Pluck(_Leaf, "name", attribute="leaf")
    leaves = fields.List(fields.Nested(_Leaf))
    fallback = fields.Nested(_Leaf, dump_default={"name": "default"})
    child = fields.Nested(lambda: _Odd(), allow_none=True)
    renamed = fields.String(data_key="Renamed", attribute="name")

    def shout(self, obj):
        return obj["name"].upper()


class _Hooked(Schema):
    name = fields.String()

    @post_dump
    def mark(self, data, **kwargs):
        return {**data, "hooked": True}


@pytest.mark.parametrize("schema, value", [
    (_Odd, {"name": "a", "leaf": {"name": "l"}, "leaves": [{"name": "x"}, None], "child": None}),
    (_Odd, {"name": "b", "leaf": {"name": "m"}, "leaves": [], "child": {"name": "c", "leaf": {"name": "n"},
                                                                       "leaves": None}}),
    (_Hooked, {"name": "h"}),
], ids=["method-pluck-none-in-list-default", "self-nesting", "post-dump-hook"])
def test_the_planned_dump_is_marshmallows_on_other_kinds_of_field(schema, value):
    expected = schema().dump(value)
    planned = compile_dumper(schema())(value)
    assert planned == expected and list(planned) == list(expected)
