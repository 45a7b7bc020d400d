"""`NavSender`: one request to NAV over the process's HTTP exchange, with the scope's Maskinporten
token.

The bearer token is set here: on a 401 the token is dropped and the request sent once more with a
fresh one; a second 401 goes back to the caller, so no loop. Token endpoint failures propagate as
`TokenEndpointError`, exchange failures as `ExchangeTimeout` and `ExchangeFailed`.
"""

from http import HTTPStatus

from adapter.nav.consent_tokens import Consent, ConsentTokenCache
from adapter.nav.exchange import NavAnswer, NavHttp
from adapter.nav.tokens import AccessToken, TokenCache

USER_AGENT = "nav-kafka-adapter"


class NavSender:
    def __init__(
        self,
        *,
        http: NavHttp,
        tokens: TokenCache,
        consent_tokens: ConsentTokenCache | None = None,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._consent_tokens = consent_tokens

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
        if answer.status != HTTPStatus.UNAUTHORIZED:
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
        with_token = {**headers, "Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
        return await self._http.exchange(method, url, with_token, params, content, timeout)
