"""The console's files as the gateway serves them: open with API keys on, compressed, the chart library from the
installed wheel with its licence, and a page that may only talk to its own origin."""

import re

import httpx
import pytest

from botmoon_gateway.console import STATIC, chart_library

pytestmark = [pytest.mark.stack]


def test_the_page_and_its_files_need_no_key_but_the_api_does(keyed_gw):
    with httpx.Client(base_url=keyed_gw.url, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        for asset in re.findall(r'(?:src|href)="(/console/[^"]+)"', page.text):
            assert http.get(asset).status_code == 200, asset
        assert http.get("/console/js/pages/backtest.js").status_code == 200
        assert http.get("/api/console/status").status_code == 401
        assert http.get("/api/console/status", headers={"x-api-key": "console-test-key-7f3a"}).status_code == 200
        assert http.get("/console/%2e%2e/%2e%2e/pyproject.toml").status_code == 404


def test_the_chart_library_comes_from_the_wheel_gzipped_with_its_licence(keyed_gw):
    library = chart_library()
    assert library.parts[-3:] == ("lightweight_charts", "js", "lightweight-charts.js")
    with httpx.Client(base_url=keyed_gw.url, timeout=10) as http:
        reply = http.get("/console/vendor/lightweight-charts.js", headers={"accept-encoding": "gzip"})
        assert reply.status_code == 200
        assert reply.headers["content-encoding"] == "gzip"
        assert reply.headers["content-type"].startswith("text/javascript")
        assert reply.content == library.read_bytes()
        with http.stream("GET", "/console/vendor/lightweight-charts.js", headers={"accept-encoding": "gzip"}) as raw:
            sent = sum(len(chunk) for chunk in raw.iter_raw())
        assert sent < len(reply.content) / 2
        licence = http.get("/console/vendor/lightweight-charts.LICENSE").text
    version = re.search(rb"Lightweight Charts\S* v(\d+\.\d+\.\d+)", library.read_bytes()[:400]).group(1).decode()
    assert f"Lightweight Charts(TM) v{version}" in licence
    assert "Apache License" in licence and "Version 2.0" in licence
    assert (STATIC / "vendor" / "lightweight-charts.LICENSE").read_text() == licence
