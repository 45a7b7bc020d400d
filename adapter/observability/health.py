"""Liveness, readiness and metrics over HTTP, as NAV's platform (NAIS) expects them, for either role.

- `/isalive`: the process's event loop answers.
- `/isready`: every readiness check of the role passes (for the lookups: the broker connection is
  up, a token was fetched, and not every NAV API's circuit is open).
- `/metrics`: Prometheus text format, from the role's own registry.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapter.embedded_server import EmbeddedServer


class ReadinessChecks:
    """Named checks; the process is ready when every one passes."""

    def __init__(self, **checks: Callable[[], bool]) -> None:
        self._checks = checks

    def failing(self) -> list[str]:
        return [name for name, check in self._checks.items() if not check()]


def create_health_app(
    checks: ReadinessChecks,
    registry: CollectorRegistry,
    documents: Mapping[str, Callable[[], Any]] | None = None,
) -> Starlette:
    """`documents`: extra JSON documents by path (e.g. the AsyncAPI), built on first request."""

    async def isalive(request: Request) -> Response:
        return JSONResponse({"alive": True})

    async def isready(request: Request) -> Response:
        failing = checks.failing()
        return JSONResponse({"ready": not failing, "failing": failing}, status_code=503 if failing else 200)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    def serve(build: Callable[[], Any]) -> Callable[[Request], Awaitable[Response]]:
        cache: list[Any] = []

        async def document(request: Request) -> Response:
            if not cache:
                cache.append(build())
            return JSONResponse(cache[0])

        return document

    routes = [Route("/isalive", isalive), Route("/isready", isready), Route("/metrics", metrics)]
    routes += [Route(path, serve(build)) for path, build in (documents or {}).items()]
    return Starlette(routes=routes)


@contextlib.asynccontextmanager
async def serve_health(app: Starlette, host: str, port: int) -> AsyncIterator[None]:
    """The health server, running while the block runs."""
    server = EmbeddedServer(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)
