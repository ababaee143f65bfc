"""Liveness and readiness."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from botmoon_gateway.api.deps import BackendsDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health():
    """The gateway process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(backends: BackendsDep):
    """Ready only when every backend service answers SERVING."""
    states = await backends.health()
    ok = all(state == "SERVING" for state in states.values())
    return JSONResponse({"ready": ok, "backends": states}, status_code=200 if ok else 503)
