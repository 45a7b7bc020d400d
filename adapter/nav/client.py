"""The NAV client: one generic `call(op, request)` for every operation in the table.

Requests go out through one `NavSender` per process (a pooled transport and the shared token
cache); transient failures are retried with exponential backoff and full jitter, honouring
`Retry-After`, but never past the request's deadline.
"""

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from opentelemetry.trace import Span
from pydantic import SecretStr

from adapter.nav.breaker import CircuitBreaker
from adapter.nav.calls import build_call, interpret
from adapter.nav.errors import NavError, NavRejected, NavUnavailable
from adapter.nav.sender import NavSender
from adapter.nav.tokens import TokenEndpointError
from adapter.observability.tracing import nav_call_span
from contracts.lookups import LookupBase
from contracts.operations import Operation
from contracts.replies import ErrorCode


@dataclass(frozen=True)
class ApiEndpoint:
    """Where one NAV API lives in this deployment, and whether it wants a subscription key."""

    base_url: str
    subscription_key: SecretStr | None = None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        if retry_after is not None:
            return retry_after
        # Full jitter: spreads a herd of retries evenly instead of in waves.
        return float(rng() * min(self.max_delay, self.base_delay * 2**attempt))


def map_transport_errors(exc: Exception, name: str) -> NavError | None:
    """The NavError an httpx or token failure of call `name` stands for; None if it is neither."""
    if isinstance(exc, NavError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return NavUnavailable(ErrorCode.TIMEOUT, f"{name}: NAV did not answer in time")
    if isinstance(exc, httpx.TransportError):
        return NavUnavailable(ErrorCode.UPSTREAM_UNAVAILABLE, f"{name}: cannot reach NAV")
    if isinstance(exc, TokenEndpointError):
        if exc.retryable:
            return NavUnavailable(ErrorCode.UPSTREAM_UNAVAILABLE, f"{name}: Maskinporten is unavailable")
        return NavRejected(ErrorCode.UNAUTHORIZED, f"{name}: Maskinporten refused the grant")
    return None


def nav_headers(call_id: str, consumer_id: str, subscription_key: SecretStr | None) -> dict[str, str]:
    """The headers every NAV call carries; the key only where the API is configured to want one."""
    headers = {
        "Nav-Call-Id": call_id,
        "X-Request-Id": call_id,
        "Nav-Consumer-Id": consumer_id,
        "Accept": "application/json",
    }
    if subscription_key is not None:
        headers["Ocp-Apim-Subscription-Key"] = subscription_key.get_secret_value()
    return headers


class NavClient:
    def __init__(
        self,
        *,
        sender: NavSender,
        endpoints: Mapping[str, ApiEndpoint],
        consumer_id: str,
        retry: RetryPolicy = RetryPolicy(),
        request_timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 10.0,
        observe: Callable[[str, str, float], None] | None = None,
    ) -> None:
        self._sender = sender
        self._endpoints = endpoints
        self._consumer_id = consumer_id
        self._retry = retry
        self._request_timeout = request_timeout
        self._sleep = sleep
        self._rng = rng
        # (api key, status or error kind, seconds) of every HTTP exchange with NAV, for metrics.
        self._observe = observe
        self.breakers = {
            key: CircuitBreaker(threshold=breaker_threshold, cooldown=breaker_cooldown) for key in endpoints
        }

    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        """NAV's typed result for `request`, or a NavError. `deadline` is on time.monotonic()."""
        breaker = self.breakers[op.api.key]
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise NavUnavailable(ErrorCode.TIMEOUT, f"{op.name}: deadline passed during retries")
            if not breaker.allow():
                raise NavUnavailable(
                    ErrorCode.UPSTREAM_UNAVAILABLE, f"{op.name}: circuit open for {op.api.key}"
                )
            try:
                result = await self._once(op, request, remaining)
            except NavUnavailable as exc:
                # A 429 is NAV pacing us, not NAV failing: Retry-After handles it, not the circuit.
                if exc.code is ErrorCode.RATE_LIMITED:
                    breaker.released()
                else:
                    breaker.failed()
                attempt += 1
                delay = self._retry.delay(attempt, exc.retry_after, self._rng)
                out_of_time = deadline is not None and time.monotonic() + delay >= deadline
                if attempt >= self._retry.attempts or out_of_time:
                    raise
                await self._sleep(delay)
            except BaseException:
                breaker.released()
                raise
            else:
                breaker.succeeded()
                return result

    async def _once(self, op: Operation, request: LookupBase, remaining: float | None) -> Any:
        with nav_call_span(op.api.key, op.name, str(request.request_id)) as span:
            return await self._exchange(op, request, remaining, span)

    async def _exchange(self, op: Operation, request: LookupBase, remaining: float | None, span: Span) -> Any:
        endpoint = self._endpoints[op.api.key]
        call = build_call(op, request)
        headers = {
            **nav_headers(str(request.request_id), self._consumer_id, endpoint.subscription_key),
            **call.headers,
        }
        timeout = self._request_timeout if remaining is None else min(self._request_timeout, remaining)
        started = time.monotonic()
        try:
            answer = await self._sender.send(
                call.method,
                endpoint.base_url.rstrip("/") + call.path,
                scope=op.scope,
                params=call.params,
                headers=headers,
                content=call.body,
                timeout=timeout,
            )
        except Exception as exc:
            mapped = map_transport_errors(exc, op.name)
            if self._observe is not None:
                self._observe(
                    op.api.key, mapped.code.value if mapped else "error", time.monotonic() - started
                )
            if mapped is None:
                raise
            raise mapped from None
        span.set_attribute("http.response.status_code", answer.status)
        if self._observe is not None:
            self._observe(op.api.key, str(answer.status), time.monotonic() - started)
        return interpret(op, answer.status, answer.headers, answer.content)
