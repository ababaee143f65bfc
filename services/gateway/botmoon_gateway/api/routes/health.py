"""Liveness and readiness."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from botmoon_gateway.api.deps import BackendsDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health():
    """The gateway process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(backends: BackendsDep, settings: SettingsDep):
    """Ready when every essential backend (GATEWAY_READY_BACKENDS, the sandbox by default) answers SERVING.
    A non-essential backend that is down is listed in `degraded`: its endpoints answer 503, the rest of the
    API stays in service."""
    states = await backends.health()
    essential = settings.ready_backend_list
    ok = all(states.get(name) == "SERVING" for name in essential)
    degraded = sorted(name for name, state in states.items() if state != "SERVING" and name not in essential)
    return JSONResponse({"ready": ok, "backends": states, "essential": essential, "degraded": degraded},
                        status_code=200 if ok else 503)
