"""The FastAPI app factory: routes, error handling, offline docs, and the backends' lifespan."""

import asyncio
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

from botmoon_gateway import errors, mcp_mount, openapi
from botmoon_gateway.allowed_hosts import AllowedHosts
from botmoon_gateway.api.routes import (
    ai,
    backtest,
    console,
    health,
    marketdata,
    metrics,
    strategies,
    sweeps,
    webhooks,
)
from botmoon_gateway.backends import Backends
from botmoon_gateway.console import install as install_console
from botmoon_gateway.db import Database
from botmoon_gateway.fair_use import ClientLimits, execution_limits
from botmoon_gateway.live.runner import LiveRunner
from botmoon_gateway.middleware import ApiKeys, RequestContext
from botmoon_gateway.retention import ExecutionPruner
from botmoon_gateway.settings import GatewaySettings
from botmoon_gateway.sweeps.runner import SweepRunner
from botmoon_gateway.webhooks import Deliverer, DeliveryPolicy, UrlGuard


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.db = Database(settings.database_url, settings.database_pool_size, settings.database_max_overflow)
        await asyncio.to_thread(app.state.db.prepare, settings.database_migrate)
        app.state.backends = Backends(
            {"sandbox": settings.sandbox_addr, "marketdata": settings.marketdata_addr,
             "backtest": settings.backtest_addr},
            settings.grpc_timeout_s, settings.health_timeout_s, settings.dns_min_interval_s)
        app.state.deliverer = Deliverer(
            app.state.db, UrlGuard(settings.webhook_allow),
            DeliveryPolicy(settings.webhook_timeout_s, settings.webhook_max_attempts, settings.webhook_backoff_s,
                           settings.webhook_backoff_max_s, settings.webhook_max_response_bytes))
        app.state.live = LiveRunner(app.state.db, app.state.backends, app.state.deliverer, settings)
        await app.state.live.start()
        app.state.sweeps = SweepRunner(app.state.db, app.state.backends, settings)
        await app.state.sweeps.start()
        pruner = ExecutionPruner(app.state.db, settings.executions_keep, settings.executions_max_age_days,
                                 settings.executions_prune_interval_s)
        pruner.start()
        async with mcp_sessions.run():
            yield
        await pruner.close()
        await app.state.sweeps.close()
        await app.state.live.close()
        await app.state.deliverer.close()
        await app.state.backends.close()
        app.state.db.dispose()

    app = FastAPI(
        title="Botmoon",
        summary="Self-hosted platform for AI-written trading code",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    app.state.settings = settings
    app.add_middleware(ClientLimits, limits=execution_limits(settings), by_key=bool(settings.api_key_list),
                       retry_after_s=settings.retry_after_s)
    app.add_middleware(ApiKeys, keys=settings.api_key_list)  # inside RequestContext: 401s get an id
    app.add_middleware(AllowedHosts, extra=settings.allowed_host_list)  # before keys: no key check for rebinding
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    errors.install(app, settings.retry_after_s)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ai.router)
    app.include_router(marketdata.router)
    app.include_router(sweeps.router)  # before backtest's /api/backtest/{backtest_id}
    app.include_router(backtest.router)
    app.include_router(strategies.router)
    app.include_router(console.router)
    app.include_router(webhooks.router)

    install_console(app)
    mcp_sessions = mcp_mount.install(app, settings.mcp_allowed_origin_list, settings.api_key_list)
    openapi.install(app)
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title="Botmoon API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )

    return app
