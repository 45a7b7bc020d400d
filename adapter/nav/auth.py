"""`NavTokenAuth`: a Maskinporten bearer token on every NAV request, passed in as `auth=`."""

from collections.abc import AsyncGenerator, Generator

import httpx

from adapter.nav.tokens import TokenCache


class NavTokenAuth(httpx.Auth):
    """Bearer token for one scope from the shared cache; on a 401, one refresh and one retry.

    Token endpoint failures propagate as `TokenEndpointError`; the NAV client maps them.
    """

    def __init__(self, *, tokens: TokenCache, scope: str) -> None:
        self._tokens = tokens
        self._scope = scope

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # The cache is built on asyncio; a sync client would need a second, separate cache.
        raise RuntimeError("NavTokenAuth works with httpx.AsyncClient only")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._tokens.get(self._scope)
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code != httpx.codes.UNAUTHORIZED:
            return
        # Revoked or rotated early: drop exactly this token (a newer one another call fetched
        # is kept) and retry once. A second 401 goes back to the caller, so no loop.
        self._tokens.invalidate(self._scope, token.value)
        token = await self._tokens.get(self._scope)
        request.headers["Authorization"] = f"Bearer {token.value}"
        yield request
