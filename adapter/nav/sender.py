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

from adapter.nav.consent_tokens import Consent, ConsentTokenCache
from adapter.nav.tokens import AccessToken, TokenCache

USER_AGENT = "nav-kafka-adapter"


@dataclass(frozen=True)
class NavAnswer:
    status: int
    headers: httpx.Headers
    content: bytes


class NavSender:
    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport,
        tokens: TokenCache,
        connect_timeout: float,
        consent_tokens: ConsentTokenCache | None = None,
    ) -> None:
        self._transport = transport
        self._tokens = tokens
        self._consent_tokens = consent_tokens
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
        consent: Consent | None = None,
    ) -> NavAnswer:
        """NAV's answer, whatever its status; `timeout` bounds each phase of the exchange. With
        `consent`, the bearer token is one granted for that consent and person."""
        token = await self._token(scope, consent)
        answer = await self._exchange(method, url, token.value, headers, params, content, timeout)
        if answer.status != httpx.codes.UNAUTHORIZED:
            return answer
        # Revoked or rotated early: drop exactly this token (a newer one another call fetched
        # is kept) and try once more.
        if consent is None:
            self._tokens.invalidate(scope, token.value)
        elif self._consent_tokens is not None:
            self._consent_tokens.invalidate(scope, consent, token.value)
        token = await self._token(scope, consent)
        return await self._exchange(method, url, token.value, headers, params, content, timeout)

    async def _token(self, scope: str, consent: Consent | None) -> AccessToken:
        if consent is None:
            return await self._tokens.get(scope)
        if self._consent_tokens is None:
            raise RuntimeError("a consent call needs the consent token cache")
        return await self._consent_tokens.get(scope, consent)

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
