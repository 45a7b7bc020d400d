"""Liveness, readiness and metrics over HTTP, as NAV's platform (NAIS) expects them.

- `/isalive`: the process's event loop answers.
- `/isready`: the broker connection is up, a token was fetched, and not every NAV API's circuit
  is open (then nothing could be answered, so traffic should go elsewhere).
- `/metrics`: Prometheus text format.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class ReadinessChecks:
    broker_connected: Callable[[], bool]
    token_fetched: Callable[[], bool]
    some_api_available: Callable[[], bool]

    def failing(self) -> list[str]:
        checks = {
            "broker_connected": self.broker_connected,
            "token_fetched": self.token_fetched,
            "some_api_available": self.some_api_available,
        }
        return [name for name, check in checks.items() if not check()]


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
