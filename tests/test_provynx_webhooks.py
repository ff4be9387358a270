"""otp.received webhooks: signed by the Standard Webhooks scheme, checked by the standardwebhooks
library's own verifier, retried through the same outbox as PVADeals."""
from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from harness import LIVE, SECRET, TEST, scenario_with
from mockserver.engine.signing import standard_webhooks_headers


def with_receiver(receiver, **policy) -> dict:
    accounts = [{"name": "acme", "keys": [TEST, LIVE], "balance": 10,
                 "webhook": {"url": receiver.url + "/provynx", "secret": SECRET}}]
    changes = {"provynx.accounts": accounts}
    if policy:
        changes["provynx.webhooks"] = policy
    return scenario_with(**changes)


def test_the_standard_webhooks_test_vector():
    headers = standard_webhooks_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265330, b'{"test": 2432232314}')
    assert headers == {"webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330",
                       "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}


def test_a_live_code_is_delivered_signed_with_the_documented_payload(start_server, receiver):
    mock = start_server(with_receiver(receiver))
    number = mock.pnx_buy()
    mock.advance("3s")
    [delivery] = receiver.wait_for(1)
    payload = Webhook(SECRET).verify(delivery["body"], delivery["headers"])
    code = mock.pnx("GET", f"/us/numbers/{number['id']}/code").json()
    assert payload == {"type": "otp.received", "timestamp": "2026-01-28T22:42:29.452Z", "data": {
        "id": number["id"], "region": "us", "country": "us", "number": number["number"], "service": "whatsapp",
        "code": code["code"], "sms": code["sms"], "sandbox": False}}
    assert list(payload) == ["type", "timestamp", "data"]
    assert delivery["path"] == "/provynx"
    assert delivery["headers"]["webhook-id"].startswith("msg_")
    assert abs(int(delivery["headers"]["webhook-timestamp"]) - time.time()) < 30   # wall time, not virtual
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + base64.b64encode(b"another key").decode()).verify(delivery["body"], delivery["headers"])


def test_a_sandbox_code_fires_the_webhook_when_the_poll_produces_it(start_server, receiver):
    mock = start_server(with_receiver(receiver))
    number = mock.pnx_buy("global", key=TEST)
    mock.pnx("GET", f"/global/numbers/{number['id']}/code", key=TEST)
    assert mock.webhooks(provider="provynx") == []
    mock.pnx("GET", f"/global/numbers/{number['id']}/code", key=TEST)
    [delivery] = receiver.wait_for(1)
    data = Webhook(SECRET).verify(delivery["body"], delivery["headers"])["data"]
    assert (data["code"], data["sandbox"], data["region"], data["country"]) == ("123456", True, "global", "gb")


def test_a_retried_delivery_keeps_its_id_and_gets_a_new_timestamp_and_signature(start_server, receiver):
    receiver.fail_next(1)
    mock = start_server(with_receiver(receiver))
    mock.pnx_buy()
    mock.advance("3s")
    receiver.wait_for(1)
    # The header carries real wall-clock seconds, so the retry must go out in a later second.
    time.sleep(1.05 - time.time() % 1)
    mock.advance("5s")
    first, second = receiver.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert int(second["headers"]["webhook-timestamp"]) > int(first["headers"]["webhook-timestamp"])
    assert first["headers"]["webhook-signature"] != second["headers"]["webhook-signature"]
    assert first["body"] == second["body"]
    for delivery in (first, second):
        Webhook(SECRET).verify(delivery["body"], delivery["headers"])
    attempts = mock.webhooks(provider="provynx")
    assert [(a["attempt"], a["event"], a["ok"], a["at"]) for a in attempts] == [
        (1, "otp.received", False, "2026-01-28T22:42:29.452Z"), (2, "otp.received", True, "2026-01-28T22:42:34.452Z")]
    assert attempts[1]["headers"]["webhook-signature"] == second["headers"]["webhook-signature"]


def test_the_signature_is_plain_hmac_sha256_over_id_timestamp_and_body(start_server, receiver):
    """Recomputed here without the library, as a receiver in any language would."""
    mock = start_server(with_receiver(receiver))
    mock.pnx_buy()
    mock.advance("3s")
    [delivery] = receiver.wait_for(1)
    headers = delivery["headers"]
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + delivery["body"]
    expected = base64.b64encode(hmac.new(base64.b64decode(SECRET[6:]), signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"


def test_no_url_no_delivery_but_a_secret_is_always_shown(mock):
    mock.pnx_buy()
    mock.advance("3s")
    assert mock.webhooks(provider="provynx") == []
    accounts = mock.control("GET", "/state").json()["provynx"]["accounts"]
    assert accounts[0]["webhook"] == {"url": None, "secret": SECRET}
    assert accounts[1]["webhook"]["secret"].startswith("whsec_")   # none in the scenario: derived from the seed


def test_redeliver_sends_the_message_once_more_with_its_id_and_a_fresh_signature(start_server, receiver):
    mock = start_server(with_receiver(receiver))
    mock.pnx_buy()
    mock.advance("3s")
    [first] = receiver.wait_for(1)
    [logged] = mock.webhooks(provider="provynx")
    mock.advance("1m")
    receiver.fail_next(1, status=503)
    answer = mock.control("POST", f"/webhooks/{logged['id']}/redeliver")
    assert answer.status_code == 200
    redelivered = answer.json()
    assert {k: redelivered[k] for k in ("id", "event", "attempt", "at", "ok", "status", "error")} == {
        "id": logged["id"], "event": "otp.received", "attempt": 2, "at": "2026-01-28T22:43:29.452Z",
        "ok": False, "status": 503, "error": "HTTP 503"}
    second = receiver.wait_for(2)[1]
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"] and second["body"] == first["body"]
    Webhook(SECRET).verify(second["body"], second["headers"])
    # A redelivery that fails is logged, not retried: a button press, not a new retry schedule.
    mock.advance("10m")
    assert [a["attempt"] for a in mock.webhooks(provider="provynx")] == [1, 2]
    assert len(receiver.deliveries) == 2


def test_redeliver_of_an_unknown_message_is_404_in_the_control_shape(mock):
    answer = mock.control("POST", "/webhooks/msg_nope/redeliver")
    assert (answer.status_code, answer.json()) == (
        404, {"error": "no webhook message msg_nope in the delivery log", "status": 404})
