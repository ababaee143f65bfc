"""The web console: `/` is its page; /console/ serves its ES modules, styles and the chart library."""

from importlib import metadata
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
CHART_LIBRARY = "lightweight_charts/js/lightweight-charts.js"
# Every asset is revalidated (ETag) so a new image's files show at once; the page may only talk to its own origin.
HEADERS = {"cache-control": "no-cache", "x-content-type-options": "nosniff"}
PAGE_HEADERS = {**HEADERS, "referrer-policy": "no-referrer", "content-security-policy": (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")}
PUBLIC_PATHS = frozenset({"/"})
PUBLIC_PREFIX = "/console/"


def chart_library() -> Path:
    """TradingView's Lightweight Charts from the installed `lightweight-charts` wheel, found through the package
    metadata: importing the wrapper would pull in pandas and pywebview for nothing."""
    path = Path(str(metadata.distribution("lightweight-charts").locate_file(CHART_LIBRARY)))
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall the lightweight-charts package")
    return path


class _Assets(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        response.headers.update(HEADERS)
        return response


def install(app: FastAPI) -> None:
    """Serve the console: the page at `/` and its assets, gzip-compressed, under /console/."""
    library = chart_library()

    async def page(_request):
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    async def chart_js(_request):
        return FileResponse(library, media_type="text/javascript", headers=HEADERS)

    assets = Starlette(routes=[Route("/vendor/lightweight-charts.js", chart_js),
                               Mount("/", _Assets(directory=STATIC))],
                       middleware=[Middleware(GZipMiddleware, minimum_size=1024)])
    app.add_route("/", page, include_in_schema=False)
    app.mount("/console", assets, name="console")
