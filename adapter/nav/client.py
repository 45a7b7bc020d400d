"""The NAV client: `call(op, request)` for every lookup in the table, `get_page` for the feeds.

Requests go out through one `NavSender` per process (a pooled HTTP exchange and the shared token
cache). Every exchange, lookup or feed, passes its API's circuit breaker, gets a span and a
latency observation. Lookups retry transient failures with exponential backoff and full jitter,
honouring `Retry-After`, but never past the request's deadline; a feed page is one attempt, since
the bridge paces its own retries.
"""

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from adapter.backoff import full_jitter
from adapter.nav.breaker import CircuitBreaker
from adapter.nav.calls import build_call, interpret, nav_headers
from adapter.nav.consent_tokens import Consent
from adapter.nav.errors import NavUnavailable, error_for_status, from_transport
from adapter.nav.exchange import NavAnswer
from adapter.nav.sender import NavSender
from adapter.observability.tracing import nav_call_span
from nav_lookup_contracts._wire import NavModel
from nav_lookup_contracts.feeds import BUSY_503_APIS
from nav_lookup_contracts.lookups import LookupBase
from nav_lookup_contracts.operations import Operation
from nav_lookup_contracts.replies import ErrorCode

Observe = Callable[[str, str, float], None]
"""(API key, status or error code, seconds) of every HTTP exchange with NAV."""


@dataclass(frozen=True)
class ApiEndpoint:
    """Where one NAV API lives in this deployment, and the subscription key it is sent, if any."""

    base_url: str
    subscription_key: SecretStr | None = None
    scopes: Mapping[str, str] | None = None
    """Operation name -> the scope its tokens carry, where not the table's default."""

    def scope_for(self, op: Operation) -> str:
        return (self.scopes or {}).get(op.name, op.scope)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        if retry_after is not None:
            return retry_after
        return full_jitter(attempt, base=self.base_delay, cap=self.max_delay, rng=rng)


class CircuitOpen(NavUnavailable):
    """The API's circuit is open: nothing was sent, and retrying at once would not help."""


@dataclass(frozen=True)
class _Exchange:
    api_key: str
    name: str
    method: str
    path: str
    scope: str
    call_id: str
    params: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] | None = None
    content: bytes | None = None
    error_model: type[NavModel] | None = None
    forbidden: str = ""
    consent: Consent | None = None


class NavClient:
    def __init__(
        self,
        *,
        sender: NavSender,
        endpoints: Mapping[str, ApiEndpoint],
        consumer_id: str,
        retry: RetryPolicy,
        request_timeout: float,
        breaker_threshold: int,
        breaker_cooldown: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        observe: Observe | None = None,
    ) -> None:
        self._sender = sender
        self._endpoints = endpoints
        self._consumer_id = consumer_id
        self._retry = retry
        self._request_timeout = request_timeout
        self._sleep = sleep
        self._rng = rng
        self._observe = observe
        self.breakers = {
            key: CircuitBreaker(threshold=breaker_threshold, cooldown=breaker_cooldown) for key in endpoints
        }

    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        """NAV's typed result for `request`, or a NavError. `deadline` is on time.monotonic()."""
        nav_call = build_call(op, request)
        exchange = _Exchange(
            op.api.key,
            op.name,
            nav_call.method,
            nav_call.path,
            self._endpoints[op.api.key].scope_for(op),
            str(request.request_id),
            nav_call.params,
            nav_call.headers,
            nav_call.body,
            op.error_model,
            op.forbidden,
            nav_call.consent,
        )
        attempt = 0
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise NavUnavailable(ErrorCode.TIMEOUT, f"{op.name}: deadline passed during retries")
            try:
                answer = await self._guarded(exchange, remaining)
                return interpret(op, answer.status, answer.headers, answer.content)
            except CircuitOpen:
                raise
            except NavUnavailable as exc:
                attempt += 1
                delay = self._retry.delay(attempt, exc.retry_after, self._rng)
                out_of_time = deadline is not None and time.monotonic() + delay >= deadline
                if attempt >= self._retry.attempts or out_of_time:
                    raise
                await self._sleep(delay)

    async def get_page(
        self, api_key: str, name: str, path: str, *, scope: str, params: tuple[tuple[str, str], ...]
    ) -> bytes:
        """The body of a 200 for one GET of a feed's page, or a NavError; one attempt."""
        answer = await self._guarded(
            _Exchange(api_key, name, "GET", path, scope, str(uuid.uuid4()), params), None
        )
        return answer.content

    async def _guarded(self, exchange: _Exchange, remaining: float | None) -> NavAnswer:
        """One exchange through the API's circuit breaker; a non-2xx answer raises its NavError."""
        breaker = self.breakers[exchange.api_key]
        if not breaker.allow():
            raise CircuitOpen(
                ErrorCode.UPSTREAM_UNAVAILABLE, f"{exchange.name}: circuit open for {exchange.api_key}"
            )
        try:
            answer = await self._exchange(exchange, remaining)
            if not 200 <= answer.status < 300:
                raise error_for_status(
                    exchange.name,
                    answer.status,
                    answer.headers,
                    busy_503=exchange.api_key in BUSY_503_APIS,
                    body=answer.content,
                    error_model=exchange.error_model,
                    forbidden=exchange.forbidden,
                )
        except NavUnavailable as exc:
            # A 429 (pensjon-gw: a 503) is NAV pacing us, not NAV failing: back-off and
            # Retry-After handle it, not the circuit.
            if exc.code is ErrorCode.RATE_LIMITED:
                breaker.released()
            else:
                breaker.failed()
            raise
        except BaseException:
            breaker.released()
            raise
        breaker.succeeded()
        return answer

    async def _exchange(self, exchange: _Exchange, remaining: float | None) -> NavAnswer:
        endpoint = self._endpoints[exchange.api_key]
        headers = {
            **nav_headers(exchange.call_id, self._consumer_id, endpoint.subscription_key),
            **(exchange.headers or {}),
        }
        timeout = self._request_timeout if remaining is None else min(self._request_timeout, remaining)
        started = time.monotonic()
        with nav_call_span(exchange.api_key, exchange.name, exchange.call_id) as span:
            try:
                answer = await self._sender.send(
                    exchange.method,
                    endpoint.base_url.rstrip("/") + exchange.path,
                    scope=exchange.scope,
                    params=exchange.params,
                    headers=headers,
                    content=exchange.content,
                    timeout=timeout,
                    consent=exchange.consent,
                )
            except Exception as exc:
                mapped = from_transport(exc, exchange.name)
                self._observed(exchange, mapped.code.value if mapped else "error", started)
                if mapped is None:
                    raise
                raise mapped from None
            span.set_attribute("http.response.status_code", answer.status)
        self._observed(exchange, str(answer.status), started)
        return answer

    def _observed(self, exchange: _Exchange, status: str, started: float) -> None:
        if self._observe is not None:
            self._observe(exchange.api_key, status, time.monotonic() - started)
