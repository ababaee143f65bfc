"""Headless Chromium from Debian's packages, driven by selenium through chromium-driver: the console's browser
tests and its benchmark share it. Console messages and network events are kept so tests can assert on them."""

import json
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
LAPTOP = (1366, 900)
PHONE = (390, 844)


def installed() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(DRIVER) is not None


def chromium(size: tuple[int, int] = LAPTOP) -> webdriver.Chrome:
    """A fresh headless Chromium (its own profile: empty storage) logging console and network events."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-extensions", "--no-first-run", "--hide-scrollbars", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_window_size(*size)
    return driver


def prefer_dark(driver, dark: bool = True) -> None:
    """Emulate the system's colour scheme preference (the console follows it unless the user chose one)."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
        {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def wait(driver, condition, timeout: float = 30):
    """Polls `condition(driver)` until truthy; elements replaced meanwhile (pages redraw) are polled again."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


class Watch:
    """Collects what went wrong in the page: console errors and requests that failed or answered ≥ 400.
    Chromium hands each log entry out once, so `drain()` keeps what it read."""

    def __init__(self, driver):
        self.driver = driver
        self.console: list[str] = []
        self.failed: list[str] = []
        self._urls: dict[str, str] = {}

    def drain(self) -> "Watch":
        for entry in self.driver.get_log("browser"):
            if entry["level"] in ("SEVERE", "ERROR"):
                self.console.append(entry["message"])
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                self._urls[params["requestId"]] = params["request"]["url"]
            elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
                self.failed.append(f'{params["response"]["status"]} {params["response"]["url"]}')
            elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
                self.failed.append(f'{params.get("errorText")} {self._urls.get(params["requestId"], "?")}')
        return self

    def problems(self) -> list[str]:
        self.drain()
        return self.console + self.failed
