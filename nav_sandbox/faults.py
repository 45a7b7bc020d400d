"""Injected faults: latency, error statuses, rate limiting and hangs, per API or operation.

Faults apply to the NAV API routes; the token endpoint fails only under a fault whose `api` is
"token", so token failures can be tested on their own.
"""

import asyncio
import contextlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

TOKEN_TARGET = "token"


class FaultSpec(BaseModel):
    """The body of `POST /_sandbox/faults`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(0, ge=0, le=600_000)
    error_rate: float = Field(1.0, ge=0.0, le=1.0, description="Chance that status/timeout fires.")
    status: Literal[500, 502, 503, 429] | None = None
    retry_after: int | None = Field(None, ge=0, description="Retry-After seconds, with status 429.")
    timeout: bool = Field(False, description="Hang until the client leaves (bounded), then 504.")
    api: str | None = Field(None, description="An API key, an operation name, or 'token'.")
    count: int | None = Field(None, ge=1, description="Only the next `count` matching requests.")


@dataclass
class _Rule:
    spec: FaultSpec
    remaining: int | None


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The sandbox's small JSON error body, the Spring Boot shape NAV's backends use."""
    body = {"status": status, "error": HTTPStatus(status).phrase, "message": message}
    return JSONResponse(body, status_code=status, headers=headers)


class Faults:
    def __init__(self, *, targets: Iterable[str], max_hang_seconds: float, rng: random.Random) -> None:
        self._targets = frozenset(targets) | {TOKEN_TARGET}
        self._max_hang = max_hang_seconds
        self._rng = rng
        self._rules: list[_Rule] = []

    def add(self, spec: FaultSpec) -> None:
        if spec.api is not None and spec.api not in self._targets:
            raise ValueError(f"api must be one of: {', '.join(sorted(self._targets))}")
        self._rules.append(_Rule(spec, spec.count))

    def clear(self) -> None:
        self._rules.clear()

    def active(self) -> list[dict[str, object]]:
        return [{**r.spec.model_dump(), "remaining": r.remaining} for r in self._rules]

    def _take(self, targets: tuple[str, ...]) -> list[FaultSpec]:
        taken = []
        for rule in self._rules:
            matches = rule.spec.api in targets if rule.spec.api else TOKEN_TARGET not in targets
            if matches:
                taken.append(rule.spec)
                if rule.remaining is not None:
                    rule.remaining -= 1
        self._rules = [r for r in self._rules if r.remaining != 0]
        return taken

    async def apply(self, targets: tuple[str, ...], request: Request) -> Response | None:
        """Delay the request, or answer it with a fault, as the matching rules say."""
        for spec in self._take(targets):
            if spec.latency_ms:
                await asyncio.sleep(spec.latency_ms / 1000)
            if not (spec.timeout or spec.status) or self._rng.random() >= spec.error_rate:
                continue
            if spec.timeout:
                await self._hang(request)
                return error_response(504, "sandbox fault: timed out")
            assert spec.status is not None
            headers = {"Retry-After": str(spec.retry_after)} if spec.retry_after is not None else None
            return error_response(spec.status, "sandbox fault", headers)
        return None

    async def _hang(self, request: Request) -> None:
        # Read the body first, so that what follows on the ASGI channel can only be the client
        # leaving; then wait for that, but no longer than the bound.
        await request.body()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._max_hang):
                while (await request.receive())["type"] != "http.disconnect":
                    pass
