"""`NavSender`: one request to NAV over the pooled transport, with the scope's Maskinporten token.

A NAV call needs none of what `httpx.AsyncClient` adds around a transport (cookies, redirects,
auth flows, URL merging, event hooks), and measured, that layer costs more CPU than the HTTP
exchange itself (docs/benchmark.md). So each call is built as an `httpx.Request` and handed
straight to the transport, and the bearer token is set here: on a 401 the token is dropped and
the request sent once more with a fresh one; a second 401 goes back to the caller, so no loop.
Token endpoint failures propagate as `TokenEndpointError`, transport failures as httpx's own.
"""

from dataclasses import dataclass

import httpx

from adapter.nav.tokens import TokenCache

USER_AGENT = "nav-kafka-adapter"


@dataclass(frozen=True)
class NavAnswer:
    status: int
    headers: httpx.Headers
    content: bytes


class NavSender:
    def __init__(
        self, *, transport: httpx.AsyncBaseTransport, tokens: TokenCache, connect_timeout: float
    ) -> None:
        self._transport = transport
        self._tokens = tokens
        self._connect_timeout = connect_timeout

    async def send(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        headers: dict[str, str],
        params: tuple[tuple[str, str], ...] = (),
        content: bytes | None = None,
        timeout: float,
    ) -> NavAnswer:
        """NAV's answer, whatever its status; `timeout` bounds each phase of the exchange."""
        token = await self._tokens.get(scope)
        answer = await self._exchange(method, url, token.value, headers, params, content, timeout)
        if answer.status != httpx.codes.UNAUTHORIZED:
            return answer
        # Revoked or rotated early: drop exactly this token (a newer one another call fetched
        # is kept) and try once more.
        self._tokens.invalidate(scope, token.value)
        token = await self._tokens.get(scope)
        return await self._exchange(method, url, token.value, headers, params, content, timeout)

    async def _exchange(
        self,
        method: str,
        url: str,
        token: str,
        headers: dict[str, str],
        params: tuple[tuple[str, str], ...],
        content: bytes | None,
        timeout: float,
    ) -> NavAnswer:
        request = httpx.Request(
            method,
            url,
            params=params or None,
            headers={**headers, "Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
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
        response = await self._transport.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return NavAnswer(response.status_code, response.headers, body)
