"""The Sweeps page in a real headless Chromium against a real gateway on the real services: a small grid run from
the form, followed live, its heatmap cells and ranked table checked against the REST document; a walk-forward
sweep's stitched out-of-sample equity and windows."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from botmoon_testing import browser

from .conftest import screenshot
from .test_console import css, open_page, shown

pytestmark = [pytest.mark.docker, pytest.mark.stack]


def fill(driver, element_id: str, value: str) -> None:
    element = css(driver, f"#{element_id}")
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def run_from_the_form(driver, base: str, before_run=None, **fields: str) -> str:
    open_page(driver, base, "sweeps", "#sw-form")
    assert css(driver, '#nav a[data-page="sweeps"]').get_attribute("aria-current") == "page"
    css(driver, "#sw-load-example").click()
    browser.wait(driver, lambda d: "fast_period" in css(d, "#sw-code").get_attribute("value"))
    if before_run:
        before_run(driver)
    for element_id, value in fields.items():
        fill(driver, element_id.replace("_", "-"), value)
    css(driver, "#sw-run").click()
    box = browser.wait(driver, shown('#sw-result[data-state="done"]'), 300)
    sweep_id = box.get_attribute("data-sweep-id")
    assert driver.current_url.endswith(f"#/sweeps/{sweep_id}")
    return sweep_id


def test_a_two_parameter_grid_draws_its_heatmap_and_ranked_table(console_gw, api, chrome):
    watch = browser.Watch(chrome)
    sweep_id = run_from_the_form(chrome, console_gw.url, sw_p1_name="fast_period", sw_p1_values="5:15:5",
                                 sw_p2_name="slow_period", sw_p2_values="30, 50", sw_limit="300")
    sweep = api.get(f"/api/backtest/sweeps/{sweep_id}").json()
    assert sweep["status"] == "completed" and sweep["progress"]["done"] == 6
    assert css(chrome, "#sw-result").get_attribute("data-status") == "completed"
    assert css(chrome, "#sw-counts").text.startswith("6 / 6")

    heatmap = css(chrome, "#sw-heatmap")
    assert (heatmap.get_attribute("data-rows"), heatmap.get_attribute("data-columns")) == ("3", "2")
    headers = [th.text for th in heatmap.find_elements(By.CSS_SELECTOR, "tbody th")]
    assert headers == ["5", "10", "15"]
    by_params = {(r["params"]["fast_period"], r["params"]["slow_period"]): r for r in sweep["results"]}
    cells = heatmap.find_elements(By.CSS_SELECTOR, "td.cell")
    assert len(cells) == 6
    for index, cell in enumerate(cells):
        row = by_params[((5, 10, 15)[index // 2], (30, 50)[index % 2])]
        assert int(cell.get_attribute("data-combination")) == row["combination_id"]
        value = cell.get_attribute("data-value")
        assert (float(value) if value else None) == pytest.approx(row["objective_value"])
        assert "fast_period=" in cell.get_attribute("title") and "sharpe_ratio" in cell.get_attribute("title")
    best = heatmap.find_elements(By.CSS_SELECTOR, "td.best")
    assert [int(c.get_attribute("data-combination")) for c in best] == [sweep["best"]["combination_id"]]

    rows = chrome.find_elements(By.CSS_SELECTOR, "#sw-table tr.sweep-row")
    assert len(rows) == 6
    ranks = [int(r.find_elements(By.TAG_NAME, "td")[0].text) for r in rows]
    assert ranks == [1, 2, 3, 4, 5, 6]
    first_run = rows[0].find_elements(By.TAG_NAME, "td")[1].text
    assert int(first_run) == sweep["results"][0]["combination_id"]
    screenshot(chrome, "sweeps-heatmap")

    # The sweep is in the recent list, and its URL shows it again after a reload.
    assert sweep_id in css(chrome, "#sw-history").text
    chrome.refresh()
    browser.wait(chrome, shown('#sw-result[data-state="done"]'), 60)
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#sw-heatmap td.cell")) == 6
    assert watch.problems() == []


def test_walk_forward_shows_the_stitched_out_of_sample_equity(console_gw, api, chrome):
    watch = browser.Watch(chrome)

    def walk_forward_on(driver):
        css(driver, "#sw-wf-box summary").click()
        css(driver, "#sw-wf").click()
        Select(css(driver, "#sw-objective")).select_by_value("total_return_pct")

    sweep_id = run_from_the_form(chrome, console_gw.url, walk_forward_on, sw_p1_values="5, 10",
                                 sw_p2_values="30, 60", sw_start="2025-01-01", sw_end="2025-06-30",
                                 sw_wf_in="60d", sw_wf_out="30d")
    sweep = api.get(f"/api/backtest/sweeps/{sweep_id}").json()
    assert sweep["status"] == "completed" and sweep["objective"] == "total_return_pct"
    wf = sweep["walk_forward"]
    chart = browser.wait(chrome, shown("#sw-wf-equity[data-points]"), 30)
    assert int(chart.get_attribute("data-points")) == len(wf["stitched_equity_curve"]) > 0
    assert int(chart.get_attribute("data-windows")) == len(wf["windows"]) >= 3
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#sw-wf-result tr.wf-window")) == len(wf["windows"])
    assert ("Overfitting warning" in css(chrome, "#sw-overfit").text) == wf["overfitting"]["warning"]
    assert set(css(chrome, "#sw-stability").text.split()) >= {"fast_period", "slow_period"}

    # The heatmap shows one window's in-sample grid at a time.
    window = Select(css(chrome, "#sw-heat-window"))
    assert len(window.options) == len(wf["windows"])
    window.select_by_value("1")
    cells = browser.wait(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, "#sw-heatmap td.cell"))
    in_window = {r["combination_id"] for r in sweep["results"] if r["window"] == 1}
    assert {int(c.get_attribute("data-combination")) for c in cells} == in_window and len(in_window) == 4
    screenshot(chrome, "sweeps-walk-forward")
    assert watch.problems() == []
