"""One HTTP exchange with NAV, whatever client carries it: `NavHttp` is what `NavSender` needs.

Two carry it: `AiohttpExchange` (`adapter.nav.aiohttp_exchange`), aiohttp's client used directly,
the one the processes use by default; and `HttpxExchange` here, any httpx transport (httpx's own
pool with ADAPTER_HTTP_TRANSPORT=httpx, and the tests' MockTransport and ASGITransport). Each
turns its client's failures into `ExchangeTimeout` or `ExchangeFailed`, so that nothing above
sees which client it was.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx


class ExchangeTimeout(Exception):
    """NAV did not answer in time: connecting, writing, reading or waiting for a connection."""


class ExchangeFailed(Exception):
    """NAV could not be reached or the exchange broke off (refused, reset, TLS, proxy)."""


@dataclass(frozen=True)
class NavAnswer:
    status: int
    headers: Mapping[str, str]
    """Case-insensitive, as each client gives them."""
    content: bytes


class NavHttp(Protocol):
    async def exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: tuple[tuple[str, str], ...],
        content: bytes | None,
        timeout: float,
    ) -> NavAnswer:
        """NAV's answer, whatever its status; `timeout` bounds each phase of the exchange."""
        ...


class HttpxExchange:
    """Over an httpx transport, with no `httpx.AsyncClient` around it (cookies, redirects, auth
    flows, URL merging: none of it is wanted for NAV, and measured, it cost more CPU than the
    exchange itself). The transport is its owner's to close."""

    def __init__(self, transport: httpx.AsyncBaseTransport, *, connect_timeout: float) -> None:
        self._transport = transport
        self._connect_timeout = connect_timeout

    async def exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: tuple[tuple[str, str], ...],
        content: bytes | None,
        timeout: float,
    ) -> NavAnswer:
        request = httpx.Request(
            method,
            url,
            params=params or None,
            headers=headers,
            content=content,
            extensions={
                "timeout": {
                    "connect": min(self._connect_timeout, timeout),
                    "read": timeout,
                    "write": timeout,
                    "pool": timeout,
                }
            },
        )
        try:
            response = await self._transport.handle_async_request(request)
            try:
                body = await response.aread()
            finally:
                await response.aclose()
        except httpx.TimeoutException as exc:
            raise ExchangeTimeout(type(exc).__name__) from exc
        except httpx.TransportError as exc:
            raise ExchangeFailed(type(exc).__name__) from exc
        return NavAnswer(response.status_code, response.headers, body)
