"""FastAPI routes for operators: ``/metrics``, ``/healthz`` (liveness) and ``/readyz`` (readiness).

``/healthz`` answers 200 while the process serves requests; ``/readyz`` runs
each readiness check (the database; NATS when configured) and answers 503
with the failing ones while any fails, so a load balancer stops sending
traffic without restarting the process (the Kubernetes probes' split).
This module must not define RPC routes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from potter_runtime.observability.metrics import BusMetrics

ReadinessCheck = Callable[[], Awaitable[None]]
"""An async check that returns when its dependency is usable and raises when it is not."""


def database_check(engine: AsyncEngine) -> ReadinessCheck:
    """Return a readiness check that runs ``SELECT 1`` on ``engine``."""

    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def operations_router(
    *,
    metrics: BusMetrics | None = None,
    checks: Mapping[str, ReadinessCheck] | None = None,
    check_timeout_seconds: float = 2.0,
) -> APIRouter:
    """Return a router serving ``/metrics`` (when ``metrics``), ``/healthz`` and ``/readyz``.

    Args:
        metrics: The service's metrics; its registry is served in Prometheus's text format.
        checks: Readiness checks by name, e.g. ``{"database": database_check(engine)}``.
        check_timeout_seconds: Longest wait for one check (float, seconds); a
            check that takes longer fails.

    Returns:
        The router; routes are left out of the OpenAPI document.
    """
    router = APIRouter(include_in_schema=False)
    readiness = dict(checks or {})

    if metrics is not None:

        @router.get("/metrics")
        async def serve_metrics() -> Response:
            body, content_type = metrics.render()
            return Response(body, media_type=content_type)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        async def run(check: ReadinessCheck) -> str:
            try:
                await asyncio.wait_for(check(), check_timeout_seconds)
            except Exception as exc:  # any failure means "not ready"; say which
                return f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
            return "ok"

        results = dict(zip(readiness, await asyncio.gather(*(run(c) for c in readiness.values())), strict=True))
        ready = all(result == "ok" for result in results.values())
        body = {"status": "ok" if ready else "unavailable", "checks": results}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router
