"""The example receiver passes mockserver's webhook probe, for both providers: every forged, stale
or unsigned delivery refused, the genuine ones (a key rotation's included) accepted."""
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from webhook_receiver import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"    # the default scenario's signing secret


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def receiver_url():
    """The receiver on a free loopback port, for the test's length."""
    server = make_server("127.0.0.1", 0, Receiver(SECRET, "s3cr3t"), handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_provynx_receiver_passes_the_probe(sms_mock, receiver_url):
    sms_mock.set_webhook("nsk_live_mock", receiver_url + "/provynx")
    probe = sms_mock.probe_webhooks("nsk_live_mock")
    assert probe["as_expected"], [r for r in probe["results"] if not r["as_expected"]]


def test_the_pvadeals_receiver_passes_the_probe(sms_mock, receiver_url):
    sms_mock.set_webhook("API-mock-default", receiver_url + "/pvadeals?secret=s3cr3t")
    probe = sms_mock.probe_webhooks("API-mock-default")
    assert probe["as_expected"], [r for r in probe["results"] if not r["as_expected"]]
