"""Fixtures of the console's browser tests: a gateway on the real services, Chromium, screenshots."""

from pathlib import Path

import httpx
import pytest

from botmoon_testing import browser
from botmoon_testing.processes import Gateway
from botmoon_testing.receiver import Receiver

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
API_KEY = "console-test-key-7f3a"


@pytest.fixture(scope="module")
def console_gw(sandbox, marketdata, backtest_node, tmp_path_factory):
    """A gateway on the session's services whose webhook allow-list admits loopback receivers."""
    db = tmp_path_factory.mktemp("console") / "gw.db"
    service = Gateway(sandbox.address, f"sqlite:///{db}", MARKETDATA_ADDR=marketdata.address,
                      BACKTEST_ADDR=backtest_node.address, GATEWAY_WEBHOOK_ALLOW="127.0.0.1/32",
                      GATEWAY_WEBHOOK_MAX_ATTEMPTS="2", GATEWAY_WEBHOOK_BACKOFF_S="0.05",
                      GATEWAY_LIVE_TICK_S="0.5")
    service.start()
    yield service
    service.stop()


@pytest.fixture(scope="module")
def api(console_gw):
    with httpx.Client(base_url=console_gw.url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def keyed_gw(tmp_path_factory):
    """A gateway with API keys on (no backend is needed to show the key prompt)."""
    nowhere = "127.0.0.1:9"
    db = tmp_path_factory.mktemp("console-keys") / "gw.db"
    service = Gateway(nowhere, f"sqlite:///{db}", MARKETDATA_ADDR=nowhere, BACKTEST_ADDR=nowhere,
                      GATEWAY_API_KEYS=API_KEY)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def chrome(request):
    assert browser.installed(), "Chromium is missing: run tests/browser/install-chromium.sh (make test does)"
    driver = browser.chromium()
    yield driver
    if getattr(request.node, "failed_call", False):  # what the page showed, for the failure report
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"FAILED-{request.node.name}.png"))
    driver.quit()


@pytest.fixture
def phone():
    assert browser.installed(), "Chromium is missing: run tests/browser/install-chromium.sh (make test does)"
    driver = browser.chromium(browser.PHONE)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> Path:
    """Keeps a full-height picture of the page under build/screenshots/ (a test artefact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    width = driver.get_window_size()["width"]
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 4000)")
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": driver.execute_script("return window.innerWidth"), "height": height, "deviceScaleFactor": 1,
        "mobile": width < 600})
    driver.execute_async_script(
        "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 150)));")
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path
