"""Tests of the example PVADeals client, written the way a user writes them with the plugin."""
import pytest

from pvadeals_client import PVADealsClient, PVADealsError


@pytest.fixture
def client(sms_mock):
    return PVADealsClient(sms_mock.pvadeals_url, "API-mock-default")


def test_purchase_then_the_code_arrives(client, sms_mock):
    request = client.purchase("Airbnb")
    assert client.request(request["_id"])["status"] == "RESERVED"
    sms_mock.advance("3s")                    # the SMS arrives, no waiting
    assert client.request(request["_id"])["status"] == "COMPLETED"
    assert client.balance() == 99.8


def test_webhooks_reach_my_receiver(client, sms_mock, webhook_receiver):
    sms_mock.set_webhook("API-mock-default", webhook_receiver.url)
    client.purchase("Airbnb")
    sms_mock.advance("3s")
    assert webhook_receiver.events() == ["number_purchased", "sms_received"]


def test_a_number_that_never_gets_a_code_is_refunded(client, sms_mock):
    request = client.purchase("3Fun")         # the default scenario never sends 3Fun an SMS
    sms_mock.advance("20m")
    assert client.request(request["_id"])["status"] == "TIMEOUT"
    assert client.balance() == 100


@pytest.mark.sms_scenario("flag-refused")
def test_flag_refused(client):
    request = client.purchase("Airbnb")
    with pytest.raises(PVADealsError) as refused:
        client.flag(request["_id"])
    assert refused.value.status == 422


@pytest.mark.sms_scenario("instant-codes")
def test_polling_client_sees_the_code_at_once(client):
    request = client.purchase("Google")
    assert client.wait_for_sms(request["_id"])["status"] == "COMPLETED"
