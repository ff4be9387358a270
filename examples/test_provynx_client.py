"""Tests of the example Provynx client, written the way a user writes them with the plugin."""
import pytest
from provynx_client import ProvynxClient, ProvynxError, verify_otp_webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"    # the default scenario's signing secret


def test_sandbox_key_gets_123456_on_the_second_poll(sms_mock):
    client = ProvynxClient(sms_mock.provynx_url, "nsk_test_mock")
    number = client.buy_us("whatsapp")
    assert [client.code(number["id"]), client.code(number["id"])] == [None, "123456"]
    assert client.balance() == 100.0


def test_live_key_pays_and_cancel_refunds(sms_mock):
    client = ProvynxClient(sms_mock.provynx_url, "nsk_live_mock")
    number = client.buy_us("whatsapp")
    assert client.balance() == 24.15
    assert client.cancel(number["id"])["status"] == "canceled"
    assert client.balance() == 25.0


def test_signed_webhook_verifies(sms_mock, webhook_receiver):
    sms_mock.set_webhook("nsk_live_mock", webhook_receiver.url)
    client = ProvynxClient(sms_mock.provynx_url, "nsk_live_mock")
    number = client.buy_us("telegram")
    sms_mock.advance("3s")
    [delivery] = webhook_receiver.wait_for(1)
    payload = verify_otp_webhook(SECRET, delivery["body"], delivery["headers"])
    assert payload["data"]["code"] == client.code(number["id"])


@pytest.mark.sms_scenario("flaky-provider")
def test_retrying_with_the_same_idempotency_key_buys_once(sms_mock):
    client = ProvynxClient(sms_mock.provynx_url, "nsk_live_mock")
    for attempt in range(3):  # noqa: B007 (read after the break)                 # the scenario fails the first two purchases with 502
        try:
            number = client.buy_us("whatsapp", idempotency_key="order-1")
            break
        except ProvynxError as error:
            assert error.status == 502
    assert attempt == 2 and client.buy_us("whatsapp", idempotency_key="order-1") == number
    assert client.balance() == 24.15


def test_parallel_workers_take_their_own_tenant(sms_mock, worker_id):
    key = f"nsk_live_test_{worker_id}"           # the default scenario provisions nsk_live_test_* keys
    client = ProvynxClient(sms_mock.provynx_url, key)
    client.buy_us("whatsapp")
    sms_mock.advance("20m", key=key)             # only this tenant's clock moves
    assert client.balance() == 25.0 - 0.85
