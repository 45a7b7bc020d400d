"""Liveness, readiness and metrics over HTTP, as NAV's platform (NAIS) expects them, for either role.

- `/isalive`: the process's event loop has run within the liveness timeout (`Heartbeat`).
- `/isready`: every readiness check of the role passes (for the lookups: the broker answers, a
  token was fetched, and not every NAV API's circuit is open).
- `/metrics`: Prometheus text format, from the role's own registry.

The server runs in a thread with an event loop of its own, so that a stuck main loop is reported
as such rather than answered by nobody. Readiness, metrics and documents are still computed on
the main loop, where their state lives; a main loop that does not answer in time is not ready.
"""

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapter.embedded_server import EmbeddedServer

T = TypeVar("T")

MAIN_LOOP_ANSWER_SECONDS = 5.0
"""How long /isready and /metrics wait for the main loop before answering 503."""


class ReadinessChecks:
    """Named checks; the process is ready when every one passes."""

    def __init__(self, **checks: Callable[[], bool]) -> None:
        self._checks = checks

    def failing(self) -> list[str]:
        return [name for name, check in self._checks.items() if not check()]


@dataclass
class Heartbeat:
    """The main loop's pulse: `run` stamps the time every `interval`; any thread reads `stalled`.

    A loop blocked by a synchronous call, a busy loop or a deadlock stops stamping; liveness fails
    once the last stamp is older than `timeout`.
    """

    timeout: float
    interval: float = 0.5
    clock: Callable[[], float] = time.monotonic
    _last: float = field(init=False)

    def __post_init__(self) -> None:
        self._last = self.clock()

    async def run(self) -> None:
        while True:
            self._last = self.clock()
            await asyncio.sleep(self.interval)

    def stalled(self) -> float:
        """Seconds since the main loop last ran."""
        return max(0.0, self.clock() - self._last)

    def alive(self) -> bool:
        return self.stalled() <= self.timeout


def create_health_app(
    checks: ReadinessChecks,
    registry: CollectorRegistry,
    documents: Mapping[str, Callable[[], Any]] | None = None,
    *,
    heartbeat: Heartbeat | None = None,
    main_loop: asyncio.AbstractEventLoop | None = None,
) -> Starlette:
    """`documents`: extra JSON documents by path (e.g. the AsyncAPI), built on first request.

    With `main_loop`, the app may run on another loop: state is read on `main_loop`.
    """

    async def on_main(read: Callable[[], T]) -> T:
        if main_loop is None or main_loop is asyncio.get_running_loop():
            return read()

        async def call() -> T:
            return read()

        future = asyncio.run_coroutine_threadsafe(call(), main_loop)
        return await asyncio.wait_for(asyncio.wrap_future(future), MAIN_LOOP_ANSWER_SECONDS)

    def unanswered() -> Response:
        return JSONResponse({"ready": False, "failing": ["event_loop"]}, status_code=503)

    async def isalive(request: Request) -> Response:
        if heartbeat is not None and not heartbeat.alive():
            body = {"alive": False, "stalled_seconds": round(heartbeat.stalled(), 1)}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"alive": True})

    async def isready(request: Request) -> Response:
        try:
            failing = await on_main(checks.failing)
        except TimeoutError:
            return unanswered()
        return JSONResponse({"ready": not failing, "failing": failing}, status_code=503 if failing else 200)

    async def metrics(request: Request) -> Response:
        try:
            text = await on_main(lambda: generate_latest(registry))
        except TimeoutError:
            return unanswered()
        return Response(text, media_type=CONTENT_TYPE_LATEST)

    def serve(build: Callable[[], Any]) -> Callable[[Request], Awaitable[Response]]:
        cache: list[Any] = []

        async def document(request: Request) -> Response:
            if not cache:
                cache.append(await on_main(build))
            return JSONResponse(cache[0])

        return document

    routes = [Route("/isalive", isalive), Route("/isready", isready), Route("/metrics", metrics)]
    routes += [Route(path, serve(build)) for path, build in (documents or {}).items()]
    return Starlette(routes=routes)


@contextlib.asynccontextmanager
async def serve_health(app: Starlette, host: str, port: int) -> AsyncIterator[None]:
    """The health server, in a thread of its own, running while the block runs."""
    server = EmbeddedServer(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, log_config=None)
    )
    thread = threading.Thread(target=server.run, name="health-server", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the health server could not listen on {host}:{port}")
            await asyncio.sleep(0.02)
        yield
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join)


@contextlib.asynccontextmanager
async def beating(heartbeat: Heartbeat) -> AsyncIterator[None]:
    """The heartbeat stamped on the current loop while the block runs."""
    task = asyncio.create_task(heartbeat.run(), name="heartbeat")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
