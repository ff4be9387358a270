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


def test_every_purchase_sends_an_area_code(client):
    anywhere = client.purchase("Airbnb")              # areaCode "" as the published clients send it
    assert anywhere["status"] == "RESERVED"
    assert client.purchase("Airbnb", area_code="212")["number"].startswith("+1212")
    with pytest.raises(PVADealsError) as refused:
        client.purchase("Airbnb", area_code="907")    # not offered: 422, nothing debited
    assert refused.value.status == 422
    assert client.balance() == 99.6


def test_the_price_is_read_as_strprice(client):
    price = client.price("Amazon")
    client.purchase("Amazon")
    assert client.balance() == round(100 - price, 2) == 99.65


def test_a_rental_then_an_auto_renew_toggle(client, sms_mock):
    rental = client.rent("Airbnb", 30)
    assert (rental["numberType"], rental["autoRenewEnable"], rental["amount"]) == ("LTR", False, client.price("Airbnb", 30))
    assert client.toggle_auto_renew(rental["_id"]) is True
    sms_mock.advance("30d")                   # the end time: charged again, another 30 days
    assert client.request(rental["_id"])["status"] == "COMPLETED"
    assert client.balance() == 95.5
    assert client.toggle_auto_renew(rental["_id"]) is False


def test_a_rental_is_found_again_through_the_request_list(client):
    rental = client.rent("ALL_SERVICES", 28)
    for _ in range(3):
        client.purchase("Airbnb")
    found = client.find_request(rental["_id"], page_size=2)
    assert (found["numberType"], found["serviceName"], found["autoRenewEnable"]) == ("LTR", "ALL_SERVICES", False)
