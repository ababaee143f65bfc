"""The web console in a real headless Chromium against a real gateway on the real services."""

import csv
import io
import json
import time

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from botmoon_testing import browser

from .conftest import API_KEY, screenshot

pytestmark = [pytest.mark.docker, pytest.mark.stack]

PAGES = {  # page → what shows once its data is in
    "overview": "#summary",
    "code": "#code",
    "backtest": "#bt-history table",
    "strategies": "main table tbody tr",
    "webhooks": "#wh-deliveries > *",
    "executions": "main table tbody tr",
}
BAD_CODE = "import os\nx = 1\nprint(os.getcwd())\n"


def css(driver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def shown(selector: str):
    def condition(driver):
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        return found[0] if found and found[0].is_displayed() else False
    return condition


def open_page(driver, base: str, route: str, ready: str):
    driver.get(f"{base}/#/{route}")
    element = browser.wait(driver, shown(ready))
    driver.execute_async_script("const done = arguments[0]; setTimeout(done, 300);")  # let late requests finish
    return element


def deploy_strategy(api: httpx.Client, name: str) -> str:
    code = api.get("/api/backtest/example").json()["code"]
    deployed = api.post("/api/ai/deploy", json={"code": code, "name": name, "auto_run": False}).json()
    assert deployed["algorithm_id"], deployed
    [strategy] = [s for s in api.get("/api/strategies").json()["strategies"]
                  if s["algorithm_id"] == deployed["algorithm_id"]]
    return strategy["id"]


@pytest.fixture(scope="module")
def seeded(api, console_gw):
    """Something on every page: an execution, a strategy, a webhook endpoint with a delivery."""
    api.post("/api/ai/execute", json={"code": "print('seed')\nresult = 1", "name": "Seed"}).raise_for_status()
    deploy_strategy(api, "Seeded")
    endpoint = api.post("/api/webhooks/endpoints", json={"url": "http://127.0.0.1:9/hook", "name": "nowhere"}).json()
    api.post("/api/webhook/test", json={"endpoint_id": endpoint["endpoint"]["id"]})
    return console_gw


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_every_page_loads_with_no_console_error_and_no_failed_request(seeded, size):
    driver = browser.chromium(browser.LAPTOP if size == "laptop" else browser.PHONE)
    try:
        watch = browser.Watch(driver)
        for page, ready in PAGES.items():
            open_page(driver, seeded.url, page, ready)
            assert css(driver, "h1").text, page
            assert css(driver, f'#nav a[data-page="{page}"]').get_attribute("aria-current") == "page"
            assert watch.problems() == [], f"{page}: {watch.problems()}"
            screenshot(driver, f"{page}-{size}")
            if size == "laptop" and page in ("overview", "backtest"):
                browser.prefer_dark(driver)
                driver.refresh()
                browser.wait(driver, shown(ready))
                assert driver.execute_script(
                    "return getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
                screenshot(driver, f"{page}-dark")
                browser.prefer_dark(driver, False)
        assert watch.problems() == []
    finally:
        driver.quit()


def test_the_example_backtest_draws_a_marker_per_trade_and_compares_two(console_gw, api, chrome, tmp_path):
    watch = browser.Watch(chrome)
    open_page(chrome, console_gw.url, "backtest", PAGES["backtest"])
    css(chrome, "#bt-example").click()
    browser.wait(chrome, shown("#bt-progress progress"), 10)
    result_box = browser.wait(chrome, shown('#bt-result[data-state="drawn"]'), 180)
    backtest_id = result_box.get_attribute("data-backtest-id")
    result = api.get(f"/api/backtest/{backtest_id}").json()
    trades = result["trades"]
    assert trades, "the example strategy trades on the bundled candles"
    candles = css(chrome, "#bt-candles")
    assert int(candles.get_attribute("data-entry-markers")) == len(trades)
    assert int(candles.get_attribute("data-exit-markers")) == sum(1 for t in trades if t["exit_time"])
    assert int(candles.get_attribute("data-candles")) == result["config"]["data_points"]
    assert int(css(chrome, "#bt-equity").get_attribute("data-points")) == len(result["equity_curve"])
    assert chrome.current_url.endswith(f"#/backtest/{backtest_id}")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#bt-metrics .card")) >= 10
    assert "Lookahead" in css(chrome, "#bt-lookahead-verdict").text
    rows = chrome.find_elements(By.CSS_SELECTOR, "#bt-result tr.trade")
    assert len(rows) == min(20, len(trades))
    screenshot(chrome, "backtest-result")

    # The downloads: the whole result as JSON, the trades as CSV.
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    css(chrome, "#bt-json").click()
    css(chrome, "#bt-csv").click()
    saved_json, saved_csv = tmp_path / f"{backtest_id}.json", tmp_path / f"{backtest_id}-trades.csv"
    browser.wait(chrome, lambda _: saved_json.exists() and saved_csv.exists(), 20)
    assert json.loads(saved_json.read_text()) == result
    rows = list(csv.DictReader(io.StringIO(saved_csv.read_text())))
    assert [(r["side"], r["entry_time"], float(r["net_pnl"])) for r in rows] == \
        [(t["side"], t["entry_time"], t["net_pnl"]) for t in trades]

    # Sorting by net P&L puts the worst trade first, then the best.
    sort = css(chrome, '#bt-result th button[data-key="net_pnl"]')
    sort.click()
    worst = min(t["net_pnl"] for t in trades)
    first = chrome.find_elements(By.CSS_SELECTOR, "#bt-result tr.trade")[0]
    assert float(first.find_elements(By.TAG_NAME, "td")[8].text.replace(",", "")) == pytest.approx(worst, abs=0.01)
    assert css(chrome, '#bt-result th[aria-sort="ascending"]')

    # A second run with fewer candles, then both side by side.
    limit = css(chrome, "#bt-limit")
    limit.clear()
    limit.send_keys("300")
    css(chrome, "#bt-run").click()
    browser.wait(chrome, lambda d: css(d, "#bt-result").get_attribute("data-backtest-id") not in (None, backtest_id)
                 and css(d, "#bt-result").get_attribute("data-state") == "drawn", 180)
    boxes = browser.wait(chrome, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#bt-history input")) >= 2
                         and d.find_elements(By.CSS_SELECTOR, "#bt-history input"))
    boxes[0].click()
    boxes[1].click()
    css(chrome, "#bt-compare").click()
    table = browser.wait(chrome, shown("#bt-compare-table"), 30)
    assert backtest_id in table.text.lower()
    screenshot(chrome, "backtest-compare")
    assert watch.problems() == []


def test_starting_a_strategy_from_the_page_runs_it_and_stopping_removes_it(console_gw, api, chrome):
    strategy_id = deploy_strategy(api, "FromThePage")
    watch = browser.Watch(chrome)
    open_page(chrome, console_gw.url, "strategies", f'tr[data-strategy-id="{strategy_id}"]')
    css(chrome, f'tr[data-strategy-id="{strategy_id}"] button[data-action="start"]').click()
    dialog = browser.wait(chrome, shown("dialog[open]"))
    symbols = dialog.find_element(By.ID, "cfg-symbols")
    symbols.clear()
    symbols.send_keys("BTC/USDT:USDT")
    screenshot(chrome, "strategies-start-dialog")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    browser.wait(chrome, shown(f'tr[data-strategy-id="{strategy_id}"] button[data-action="stop"]'), 30)
    running = api.get("/api/console/running").json()
    assert strategy_id in [s["id"] for s in running["strategies"]]

    # Its own page shows what it is doing, and stops it too.
    css(chrome, f'tr[data-strategy-id="{strategy_id}"] a').click()
    browser.wait(chrome, shown('main h1 .badge'))
    assert "running" in css(chrome, "main h1").text
    screenshot(chrome, "strategy-running")
    css(chrome, 'main button[data-action="stop"]').click()
    browser.wait(chrome, shown('main button[data-action="start"]'), 30)
    running = api.get("/api/console/running").json()
    assert strategy_id not in [s["id"] for s in running["strategies"]]

    # Its configuration edited from the page.
    css(chrome, 'main button[data-action="edit"]').click()
    dialog = browser.wait(chrome, shown("dialog[open]"))
    params = dialog.find_element(By.ID, "cfg-params")
    chrome.execute_script("arguments[0].value = arguments[1]", params, '{"tp_pct": 3.5, "sl_pct": 1.5}')
    interval = dialog.find_element(By.ID, "cfg-interval_seconds")
    interval.clear()
    interval.send_keys("30")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    browser.wait(chrome, lambda _: api.get(f"/api/strategies/{strategy_id}").json()["strategy"]["params"]
                 == {"tp_pct": 3.5, "sl_pct": 1.5}, 15)
    assert api.get(f"/api/strategies/{strategy_id}").json()["strategy"]["config"]["interval_seconds"] == 30
    assert watch.problems() == []


def test_send_test_from_the_page_adds_a_delivery(console_gw, api, chrome, receiver):
    watch = browser.Watch(chrome)
    open_page(chrome, console_gw.url, "webhooks", PAGES["webhooks"])
    css(chrome, "#new-url").send_keys(receiver.url)
    css(chrome, "#new-name").send_keys("desk")
    css(chrome, '#wh-create button[type="submit"]').click()
    secret = browser.wait(chrome, shown("#wh-secret-value")).text
    assert secret.startswith("whsec_")
    endpoint_id = max(e["id"] for e in api.get("/api/webhooks/endpoints").json()["endpoints"])
    assert "secret" not in json.dumps(api.get(f"/api/webhooks/endpoints/{endpoint_id}").json()["endpoint"]) \
        .replace('"has_secret"', "").replace('"secret": null', "")
    before = api.get("/api/webhooks/deliveries", params={"endpoint_id": endpoint_id}).json()["count"]
    css(chrome, f'tr[data-endpoint-id="{endpoint_id}"] button[data-action="send-test"]').click()
    browser.wait(chrome, lambda d: any("delivered" in n.text for n in d.find_elements(By.ID, "notice")), 30)
    after = api.get("/api/webhooks/deliveries", params={"endpoint_id": endpoint_id}).json()
    assert after["count"] == before + 1
    assert after["deliveries"][0]["status"] == "delivered"
    assert json.loads(receiver.requests[-1].body)["test"] is True
    delivery = browser.wait(chrome, shown(f'li[data-delivery-id="{after["deliveries"][0]["delivery_id"]}"]'))
    delivery.find_element(By.TAG_NAME, "summary").click()
    assert "200" in delivery.text
    screenshot(chrome, "webhooks-delivery")

    # Edit its name (the secret is kept), then delete it; its delivery stays in the log.
    css(chrome, f'tr[data-endpoint-id="{endpoint_id}"] button[data-action="edit"]').click()
    dialog = browser.wait(chrome, shown("dialog[open]"))
    name = dialog.find_element(By.ID, "edit-name")
    name.clear()
    name.send_keys("desk two")
    dialog.find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    browser.wait(chrome, lambda _: api.get(f"/api/webhooks/endpoints/{endpoint_id}").json()["endpoint"]["name"]
                 == "desk two", 10)
    assert api.get(f"/api/webhooks/endpoints/{endpoint_id}").json()["endpoint"]["has_secret"] is True
    browser.wait(chrome, shown(f'tr[data-endpoint-id="{endpoint_id}"] button[data-action="delete"]')).click()
    browser.wait(chrome, shown("dialog[open]")).find_element(By.CSS_SELECTOR, 'button[type="submit"]').click()
    browser.wait(chrome, lambda d: not d.find_elements(By.CSS_SELECTOR, f'tr[data-endpoint-id="{endpoint_id}"]'), 10)
    assert api.get(f"/api/webhooks/endpoints/{endpoint_id}").status_code == 404
    assert api.get("/api/webhooks/deliveries").json()["deliveries"][0]["delivery_id"] == \
        after["deliveries"][0]["delivery_id"]
    assert watch.problems() == []


def test_code_page_marks_problems_at_line_and_column_and_executes(console_gw, chrome):
    watch = browser.Watch(chrome)
    open_page(chrome, console_gw.url, "code", "#code")
    editor = css(chrome, "#code")
    chrome.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                          editor, BAD_CODE)
    chrome.find_element(By.XPATH, "//button[normalize-space()='Validate']").click()
    problem = browser.wait(chrome, shown("#problem-list button.error-item"), 30)
    line, column = int(problem.get_attribute("data-line")), int(problem.get_attribute("data-column"))
    assert line == 1
    assert css(chrome, ".gutter .mark-error").text.endswith(str(line))
    problem.click()
    caret = chrome.execute_script(
        "return document.activeElement.id === 'code' && document.activeElement.selectionStart")
    assert caret == column - 1
    screenshot(chrome, "code-problems")

    chrome.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                          editor, "print('hello from the page')\nresult = {'n': 3}\n")
    chrome.find_element(By.XPATH, "//button[normalize-space()='Execute']").click()
    output = browser.wait(chrome, shown("#code-output #execution"), 60)
    assert "hello from the page" in output.find_element(By.CSS_SELECTOR, ".stdout").text
    assert '"n": 3' in output.find_element(By.CSS_SELECTOR, ".result").text
    screenshot(chrome, "code-executed")

    # The execution is in the history, and its page shows its output.
    open_page(chrome, console_gw.url, "executions", PAGES["executions"])
    css(chrome, "#ex-status").send_keys("completed")
    link = chrome.find_element(By.CSS_SELECTOR, "main table tbody tr a")
    link.click()
    browser.wait(chrome, shown("#execution .stdout"))
    assert watch.problems() == []


def test_with_keys_on_the_page_asks_for_a_key_and_keeps_it_for_the_session(keyed_gw, chrome):
    assert httpx.get(f"{keyed_gw.url}/api/console/status").status_code == 401
    chrome.get(f"{keyed_gw.url}/")
    dialog = browser.wait(chrome, shown("#key-dialog[open]"))
    screenshot(chrome, "key-prompt")
    dialog.find_element(By.ID, "key-input").send_keys("wrong-key", Keys.ENTER)
    browser.wait(chrome, shown("#key-error"))
    key_input = css(chrome, "#key-input")
    key_input.send_keys(API_KEY, Keys.ENTER)
    browser.wait(chrome, shown("#summary"))
    assert chrome.execute_script("return sessionStorage.getItem('botmoon.apiKey')") == API_KEY
    assert chrome.execute_script("return localStorage.getItem('botmoon.apiKey')") is None
    assert API_KEY not in chrome.current_url
    # Other pages use the kept key without asking again.
    chrome.get(f"{keyed_gw.url}/#/webhooks")
    browser.wait(chrome, shown("#wh-deliveries > *"))
    time.sleep(0.3)
    assert not chrome.find_elements(By.CSS_SELECTOR, "#key-dialog[open]")


def test_at_phone_width_a_result_shows_trades_as_cards_sorted_from_a_menu(console_gw, api, phone):
    code = api.get("/api/backtest/example").json()["code"]
    result = api.post("/api/backtest/run", json={"code": code, "backtest_config": {"limit": 300}}).json()
    trades = result["trades"]
    assert trades
    watch = browser.Watch(phone)
    open_page(phone, console_gw.url, f"backtest/{result['backtest_id']}", '#bt-result[data-state="drawn"]')
    assert int(css(phone, "#bt-candles").get_attribute("data-entry-markers")) == len(trades)
    header = css(phone, "#bt-trades thead")
    assert header.size["height"] <= 1  # the header row is hidden; each row is a card of labelled values
    sort = css(phone, "#bt-trades .sort-bar select")
    phone.execute_script("arguments[0].scrollIntoView()", sort)
    Select(sort).select_by_visible_text("Net P&L ↑")
    first = browser.wait(phone, shown("#bt-trades tr.trade"))
    net = [cell for cell in first.find_elements(By.TAG_NAME, "td") if cell.get_attribute("data-label") == "Net P&L"]
    assert float(net[0].text.replace("Net P&L", "").strip().replace(",", "")) == \
        pytest.approx(min(t["net_pnl"] for t in trades), abs=0.01)
    screenshot(phone, "backtest-result-phone")
    assert watch.problems() == []


def test_the_overview_refreshes_by_itself(console_gw, api, chrome):
    watch = browser.Watch(chrome)
    open_page(chrome, console_gw.url, "overview", "#summary")
    executions = api.get("/api/console/summary").json()["summary"]["ai_executions_count"]

    def card(driver) -> str:
        return next(c.text for c in driver.find_elements(By.CSS_SELECTOR, "#summary .card") if "EXECUTIONS" in c.text)
    assert card(chrome).endswith(str(executions))
    api.post("/api/ai/execute", json={"code": "result = 1", "name": "WhileWatching"}).raise_for_status()
    browser.wait(chrome, lambda d: card(d).endswith(str(executions + 1)), 15)
    browser.wait(chrome, lambda d: "WhileWatching" in d.find_element(By.ID, "main").text, 15)
    assert watch.problems() == []
