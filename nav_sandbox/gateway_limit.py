"""pensjon-gw's rate limit: KrakenD's `rateLimit: maxRate 100, every 60s` on each endpoint,
shared by every caller, answered with 503 (not 429) when used up.

Off unless `SandboxConfig.gateway_rate_limit` is on or `POST /_sandbox/gateway-limit` switches it
on (`{"per_minute": 100}`; `{"per_minute": null}` switches it off), so other tests are not
slowed. Which APIs it applies to is `nav_lookup_contracts.feeds.REQUESTS_PER_MINUTE`; each endpoint (path) has
a bucket of its own that holds `per_minute` requests and refills at `per_minute` a minute.
"""

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nav_lookup_contracts.feeds import REQUESTS_PER_MINUTE
from nav_lookup_contracts.validation import problems
from nav_sandbox.faults import error_response


class LimitCommand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_minute: float | None = Field(None, gt=0, le=1_000_000)


@dataclass
class _Bucket:
    tokens: float
    at: float


class GatewayLimit:
    def __init__(self, *, per_minute: float | None, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self.refused = 0

    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/gateway-limit", self.set_limit, methods=["POST"]),
            Route("/_sandbox/gateway-limit", self.show, methods=["GET"]),
        ]

    def over(self, api_key: str, endpoint: str) -> Response | None:
        """KrakenD's 503 if `endpoint` of `api_key` has used up its requests, else None."""
        if self.per_minute is None or api_key not in REQUESTS_PER_MINUTE:
            return None
        now = self._clock()
        bucket = self._buckets.setdefault(endpoint, _Bucket(self.per_minute, now))
        bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.at) * self.per_minute / 60.0)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        self.refused += 1
        return error_response(503, "Service Unavailable: the endpoint's rate limit is used up")

    async def set_limit(self, request: Request) -> Response:
        try:
            command = LimitCommand.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            return error_response(400, "; ".join(problems(exc)))
        self.per_minute = command.per_minute
        self._buckets.clear()
        return await self.show(request)

    async def show(self, request: Request) -> Response:
        return JSONResponse({"per_minute": self.per_minute, "refused": self.refused})
