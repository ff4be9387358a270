"""The dashboard at /_mock/, driven in headless Chromium (Debian's chromium and chromium-driver,
which .ci/run installs) against a real server: what a developer sees and clicks.

On failure each test leaves a screenshot in its tmp_path. With MOCKSERVER_SCREENSHOT set to a path,
the default scenario's test also writes the README's picture there (`make screenshot`)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import AIRBNB, BASE_SCENARIO, KEY, LIVE, TEST, THREE_FUN
from mockserver.control.access import Access

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="needs Debian's chromium and chromium-driver (installed by .ci/run)")

# As the machine's notes advise: without the background-networking flags Chromium keeps trying
# Google's hosts, which this closed network refuses.
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1440,1000"]
WAIT_S = 10


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")    # Selenium Manager must never try to download
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    yield browser
    browser.quit()


@pytest.fixture
def page(driver, mock, request, tmp_path):
    """The browser, on the dashboard of the reset shared server, light theme; a screenshot on failure."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    driver.get(f"{mock.url}/_mock/")
    yield driver
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        driver.save_screenshot(str(tmp_path / "failure.png"))
        print(f"screenshot: {tmp_path / 'failure.png'}")


def wait_until(driver, condition, message: str):
    def attempt(d):
        try:
            return condition(d)
        except StaleElementReferenceException:      # a live part was swapped mid-look
            return False
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(attempt, message)


def row_status(driver, request_id: str) -> str | None:
    rows = driver.find_elements(By.CSS_SELECTOR, f'[data-live="numbers"] tr[data-id="{request_id}"]')
    return rows[0].get_attribute("data-status") if rows else None


def click(driver, selector: str) -> None:
    wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector).is_displayed(), f"no {selector}")
    for _ in range(5):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{selector} kept being replaced")


def status_line(driver) -> str:
    return driver.find_element(By.ID, "status").text


def test_a_number_is_bought_gets_an_sms_from_the_form_times_out_and_the_scenario_switches(page, mock, receiver, tmp_path):
    assert page.title == f"mockserver · {BASE_SCENARIO['name']}"
    assert "No numbers yet" in page.find_element(By.CSS_SELECTOR, '[data-live="numbers"]').text
    assert mock.control("POST", "/webhook", json={"key": KEY, "url": receiver.url}).status_code == 200

    airbnb, three_fun = mock.buy(AIRBNB, THREE_FUN)
    wait_until(page, lambda d: row_status(d, airbnb["_id"]) == "RESERVED", "the bought number never appeared")
    assert row_status(page, three_fun["_id"]) == "RESERVED"

    click(page, f'tr[data-id="{airbnb["_id"]}"] button[data-action="sms"]')
    dialog = page.find_element(By.ID, "sms-dialog")
    assert dialog.is_displayed()
    text_box = page.find_element(By.ID, "sms-text")
    prefilled = text_box.get_attribute("value")
    assert re.fullmatch(r"Your Airbnb verification code is \d{4,8}\.", prefilled), prefilled   # the service's wording
    text_box.clear()
    text_box.send_keys("Your Airbnb verification code is 482913.")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()

    wait_until(page, lambda d: row_status(d, airbnb["_id"]) == "COMPLETED", "the SMS did not complete the request")
    message = page.find_element(By.CSS_SELECTOR, f'[data-live="messages"] li[data-message-for="{airbnb["_id"]}"]')
    assert "Your Airbnb verification code is 482913." in message.text
    assert status_line(page) == f"SMS delivered to {airbnb['number']}: COMPLETED, code 482913"   # the code the text carries

    delivered = '[data-live="webhooks"] li[data-event="sms_received"]'
    wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, delivered), "no sms_received delivery shown")
    click(page, f"{delivered} summary")
    attempt = page.find_element(By.CSS_SELECTOR, f'{delivered} tr[data-attempt="1"]')
    assert attempt.get_attribute("data-ok") == "true"
    assert attempt.find_element(By.CSS_SELECTOR, '[data-cell="status"]').text == "204"
    assert receiver.wait_for(2)[-1]["json"]["event"] == "sms_received"
    body = page.find_element(By.CSS_SELECTOR, f"{delivered} pre[data-body]").text      # shown, in the order sent
    assert [line.split('"')[1] for line in body.splitlines()[1:-1]] == [
        "event", "timestamp", "requestId", "serviceId", "number", "message"]

    click(page, 'button[data-advance="20m"]')
    wait_until(page, lambda d: row_status(d, three_fun["_id"]) == "TIMEOUT", "no TIMEOUT after 20 minutes")
    assert row_status(page, airbnb["_id"]) == "COMPLETED"
    assert page.find_element(By.CSS_SELECTOR, "[data-now]").get_attribute("datetime") == "2026-01-28T23:02:26.452Z"

    Select(page.find_element(By.ID, "scenario-name")).select_by_value("timeouts")
    page.find_element(By.CSS_SELECTOR, '[data-form="scenario"] button[type="submit"]').click()
    wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-scenario="timeouts"]'), "the scenario did not switch")
    assert "No numbers yet" in page.find_element(By.CSS_SELECTOR, '[data-live="numbers"]').text
    assert mock.control("GET", "/scenario").json()["name"] == "timeouts"


def test_the_readme_picture_shows_the_default_scenario_after_a_purchase_and_its_sms(page, mock, receiver, tmp_path):
    """What `make run` serves: the bundled default scenario, its own key, a number, its SMS and the
    webhook delivery (the README's picture, with MOCKSERVER_SCREENSHOT set)."""
    assert mock.control("PUT", "/scenario", json={"name": "default"}).status_code == 200
    assert mock.control("POST", "/webhook", json={"key": "API-mock-default", "url": receiver.url}).status_code == 200
    bought = mock.pva("POST", "/purchase", key="API-mock-default",
                      json={"services": [{"serviceId": AIRBNB}]}).json()["data"]["requests"][0]
    mock.advance("3s")
    page.get(f"{mock.url}/_mock/")
    wait_until(page, lambda d: row_status(d, bought["_id"]) == "COMPLETED", "the default scenario's SMS never came")
    delivered = '[data-live="webhooks"] li[data-event="sms_received"]'
    wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, delivered), "no sms_received delivery shown")
    click(page, f"{delivered} summary")
    assert page.title == "mockserver · default"
    _save_screenshot(page, tmp_path)


def _save_screenshot(driver, tmp_path: Path) -> None:
    """The README's picture."""
    shot = tmp_path / "dashboard.png"
    width, height = driver.execute_script("return [window.outerWidth, window.outerHeight]")
    full = driver.execute_script("window.scrollTo(0, 0); return document.documentElement.scrollHeight")
    driver.set_window_size(width, full + height - driver.execute_script("return window.innerHeight"))
    driver.save_screenshot(str(shot))
    driver.set_window_size(width, height)
    target = os.environ.get("MOCKSERVER_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)


def test_flag_and_cancel_go_through_the_providers_own_apis(page, mock):
    three_fun = mock.buy(THREE_FUN)[0]
    live = mock.pnx_buy("us", key=LIVE)
    wait_until(page, lambda d: row_status(d, live["id"]) == "pending", "the Provynx number never appeared")
    credits, wallet = mock.credits(), mock.wallet()

    click(page, f'tr[data-id="{three_fun["_id"]}"] button[data-verb="flag"]')
    wait_until(page, lambda d: row_status(d, three_fun["_id"]) == "FLAGGED", "the request was not flagged")
    click(page, f'tr[data-id="{live["id"]}"] button[data-verb="cancel"]')
    wait_until(page, lambda d: row_status(d, live["id"]) == "canceled", "the number was not canceled")

    assert mock.credits() == pytest.approx(credits + three_fun["amount"])      # flag refunds
    assert mock.wallet() == pytest.approx(wallet + live["price"])               # cancel refunds
    journal = mock.control("GET", "/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in journal if r["path"] in
            (f"/v3/api/flag/{three_fun['_id']}", f"/api/v1/sms/us/numbers/{live['id']}")] == [
        ("POST", f"/v3/api/flag/{three_fun['_id']}", 200), ("DELETE", f"/api/v1/sms/us/numbers/{live['id']}", 200)]
    # Neither button is offered once the provider would refuse it.
    assert not page.find_elements(By.CSS_SELECTOR, f'tr[data-id="{three_fun["_id"]}"] button[data-verb]')
    assert not page.find_elements(By.CSS_SELECTOR, f'tr[data-id="{live["id"]}"] button[data-verb]')


def rental_note(driver, request_id: str) -> str | None:
    notes = driver.find_elements(By.CSS_SELECTOR, f'[data-live="numbers"] tr[data-id="{request_id}"] [data-cell="note"]')
    return notes[0].text if notes else None


def test_a_rental_shows_its_days_and_its_auto_renew_toggles_from_the_page(page, mock):
    response = mock.pva("POST", "/purchase-ltr", json={"serviceId": THREE_FUN, "duration": 7})
    rental = response.json()["data"]
    wait_until(page, lambda d: rental_note(d, rental["_id"]) == "LTR 7 days · 7 days left · auto-renew off",
               "the rental's line never showed")
    click(page, f'tr[data-id="{rental["_id"]}"] button[data-verb="auto-renew"]')
    wait_until(page, lambda d: rental_note(d, rental["_id"]) == "LTR 7 days · 7 days left · auto-renew on",
               "auto-renew was not turned on")
    assert status_line(page) == "auto-renew through the provider's API: Auto-renew enabled successfully"
    assert mock.detail(rental["_id"])["autoRenewEnable"] is True
    mock.advance("7d")                             # renewed: charged again, seven more days
    wait_until(page, lambda d: rental_note(d, rental["_id"]) == "LTR 7 days · 7 days left · auto-renew on · renewed 1×",
               "the renewal never showed")
    click(page, f'tr[data-id="{rental["_id"]}"] button[data-verb="stop auto-renew"]')
    wait_until(page, lambda d: (rental_note(d, rental["_id"]) or "").endswith("auto-renew off · renewed 1×"),
               "auto-renew was not turned off")
    assert mock.detail(rental["_id"])["autoRenewEnable"] is False


def test_redeliver_sends_a_failed_message_again(page, mock, receiver):
    mock.control("POST", "/webhook", json={"key": KEY, "url": receiver.url})
    receiver.fail_next(6, status=503)
    bought = mock.buy(THREE_FUN)[0]          # no SMS, so number_purchased is the only message
    mock.advance("30s")                      # all six attempts of number_purchased fail
    purchased = '[data-live="webhooks"] li[data-event="number_purchased"]'
    wait_until(page, lambda d: "6 attempts" in d.find_element(By.CSS_SELECTOR, purchased).text, "six attempts not shown")

    click(page, f"{purchased} button[data-action='redeliver']")
    wait_until(page, lambda d: "7 attempts" in d.find_element(By.CSS_SELECTOR, purchased).text, "the redelivery not shown")
    message_id = page.find_element(By.CSS_SELECTOR, purchased).get_attribute("data-message")
    assert status_line(page) == "Attempt 7: delivered (204)"
    deliveries = [d for d in receiver.deliveries if d["json"].get("event") == "number_purchased"]
    assert len(deliveries) == 7 and deliveries[-1]["json"]["requestId"] == bought["_id"]
    assert [a["attempt"] for a in mock.webhooks() if a["id"] == message_id] == [1, 2, 3, 4, 5, 6, 7]


def test_the_journal_filters(page, mock):
    mock.pva("GET", "/balance")
    mock.pva("GET", "/balance", key="API-nobody")
    mock.pnx("GET", "/balance")
    wait_until(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-live="journal"] tr[data-seq]')) == 3,
               "the three requests are not in the journal")
    page.find_element(By.ID, "journal-status").send_keys("401")
    wait_until(page, lambda d: [r.get_attribute("data-status") for r in
                                d.find_elements(By.CSS_SELECTOR, '[data-live="journal"] tr[data-seq]')] == ["401"],
               "the status filter did not apply")
    page.find_element(By.CSS_SELECTOR, '[data-form="journal"] button[type="reset"]').click()
    Select(page.find_element(By.ID, "journal-provider")).select_by_value("provynx")
    wait_until(page, lambda d: [r.text for r in d.find_elements(By.CSS_SELECTOR, '[data-live="journal"] tr[data-seq] code')]
               == ["GET /api/v1/sms/balance", LIVE], "the provider filter did not apply")


# Every control must have a name a screen reader can say.
UNNAMED_CONTROLS = """
return [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea')].filter((el) => {
  const labelled = el.id && document.querySelector(`label[for="${el.id}"]`);
  return !(labelled || el.getAttribute('aria-label') || el.textContent.trim() || el.title);
}).map((el) => el.outerHTML);
"""
# WCAG's contrast ratio of the body text on the cards.
CONTRAST = """
const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
const lum = (c) => { const v = rgb(c).map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
const card = getComputedStyle(document.querySelector('.card'));
const muted = getComputedStyle(document.querySelector('.muted'));
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
return {background: lum(card.backgroundColor), text: ratio(card.color, card.backgroundColor),
        muted: ratio(muted.color, card.backgroundColor)};
"""


def test_every_control_is_labelled_and_both_themes_are_readable(page, mock):
    mock.buy(AIRBNB)
    wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, 'button[data-action="sms"]'), "no number row")
    assert page.execute_script(UNNAMED_CONTROLS) == []
    # Offline: everything the page loaded came from the sandbox itself.
    loaded = page.execute_script("return performance.getEntriesByType('resource').map((r) => r.name)")
    assert loaded and all(url.startswith(f"{mock.url}/_mock/") for url in loaded), loaded
    light = page.execute_script(CONTRAST)
    page.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = page.execute_script(CONTRAST)
    assert light["background"] > 0.9 and dark["background"] < 0.05          # the theme really follows the system
    for theme in (light, dark):
        assert theme["text"] >= 7 and theme["muted"] >= 4.5                 # WCAG AAA body text, AA for muted


def test_with_an_admin_token_the_page_takes_it_once_and_sends_it_on_every_call(driver, start_server):
    mock = start_server(BASE_SCENARIO, access=Access(token="s3cret"))
    page = driver
    assert mock.control("GET", "/").status_code == 401
    assert mock.control("GET", "/dashboard/live").json()["status"] == 401
    assert mock.control("GET", "/dashboard/live", headers={"X-Admin-Token": "s3cret"}).status_code == 200
    assert mock.control("GET", "/dashboard/static/dashboard.js").status_code == 200     # holds no state

    page.get(f"{mock.url}/_mock/?token=s3cret")
    bought = mock.buy(AIRBNB)[0]
    wait_until(page, lambda d: row_status(d, bought["_id"]) == "RESERVED", "the page could not poll with the token")
    click(page, 'button[data-advance="5s"]')
    wait_until(page, lambda d: row_status(d, bought["_id"]) == "COMPLETED", "the clock button was refused")
    assert status_line(page).startswith("Advanced 5s: now ")


def test_a_signed_provynx_delivery_shows_each_attempts_signature(page, mock, receiver):
    assert mock.control("POST", "/webhook", json={"key": TEST, "url": receiver.url}).status_code == 200
    number = mock.pnx_buy("us", key=TEST)
    for _ in range(2):                       # the sandbox code arrives on the second poll
        mock.pnx("GET", f"/us/numbers/{number['id']}/code", key=TEST)
    [delivery] = receiver.wait_for(1)
    otp = '[data-live="webhooks"] li[data-event="otp.received"]'
    wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, otp), "no otp.received delivery shown")
    click(page, f"{otp} summary")
    click(page, f'{otp} tr[data-attempt="1"] summary')
    headers = page.find_element(By.CSS_SELECTOR, f'{otp} tr[data-attempt="1"] pre').text
    assert f"webhook-signature: {delivery['headers']['webhook-signature']}" in headers.splitlines()
    assert f"webhook-id: {delivery['headers']['webhook-id']}" in headers.splitlines()
    message = page.find_element(By.CSS_SELECTOR, f'[data-live="messages"] li[data-message-for="{number["id"]}"]')
    assert message.find_element(By.CSS_SELECTOR, "[data-code]").text == "123456"     # the sandbox code
    assert row_status(page, number["id"]) == "received"


def test_the_set_to_field_suggests_a_time_after_the_clock_as_it_moves(page, mock):
    field = page.find_element(By.ID, "clock-set")
    assert field.get_attribute("placeholder") == "2026-01-28T23:42:26.452Z"      # an hour after the virtual now
    click(page, 'button[data-advance="20m"]')
    wait_until(page, lambda d: d.find_element(By.ID, "clock-set").get_attribute("placeholder")
               == "2026-01-29T00:02:26.452Z", "the suggestion did not follow the clock")
    mock.advance("1h")                          # moved by someone else: the page follows on its next poll
    wait_until(page, lambda d: d.find_element(By.ID, "clock-set").get_attribute("placeholder")
               == "2026-01-29T01:02:26.452Z", "the suggestion did not follow the clock")


# Each line box a piece of text takes: more than one when it wraps.
LINES = "return arguments[0].getClientRects().length"


def test_a_long_webhook_url_wraps_in_its_path_never_in_its_host_and_port(page, mock, receiver):
    url = receiver.url + "/hooks/" + "provynx-otp-received/" * 6 + "?secret=" + "s3cr3t" * 8
    assert mock.control("POST", "/webhook", json={"key": LIVE, "url": url}).status_code == 200
    mock.pnx_buy()
    mock.advance("3s")
    page.set_window_size(420, 1000)
    try:
        cell = '[data-live="accounts"] tr[data-account="acme"] td:last-child'
        wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, f"{cell} .url-origin"), "no webhook URL shown")
        wait_until(page, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-live="webhooks"] .url-origin'),
                   "no delivery shown")
        for origin in page.find_elements(By.CSS_SELECTOR, ".url-origin"):
            assert origin.text == receiver.url and page.execute_script(LINES, origin) == 1
        rest = page.find_element(By.CSS_SELECTOR, f"{cell} .url-rest")
        assert page.execute_script(LINES, rest) > 1          # the narrow page does wrap the path
        assert page.find_element(By.CSS_SELECTOR, cell).text.replace("\n", "") == url
    finally:
        page.set_window_size(1440, 1000)
