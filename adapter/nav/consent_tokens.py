"""Maskinporten tokens that carry one person's Altinn 3 consent, for the APIs that need consent.

With Altinn 3 the consent is not a header of its own: the JWT grant asks for it in
`authorization_details` (`urn:altinn:consent`, the consent's id, the person as
`urn:altinn:person:identifier-no:<ident>`) and the access token Maskinporten returns carries it.
Such a token belongs to one person and one consent, so it is cached by (scope, consent id, person)
for its lifetime, a bounded number of them, and never handed to a request about anyone else.
One fetch per key runs at a time; every caller for the key awaits it.
"""

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from adapter.nav.tokens import AccessToken, TokenEndpointError, TokenResponse
from nav_lookup_contracts.operations import CONSENT_TYPE, PERSON_URN_PREFIX


@dataclass(frozen=True)
class Consent:
    """The consent a request names and the person the request is about."""

    id: UUID
    ident: str = field(repr=False)

    def authorization_details(self) -> list[dict[str, Any]]:
        return [{"type": CONSENT_TYPE, "id": str(self.id), "from": PERSON_URN_PREFIX + self.ident}]


class ConsentRefused(TokenEndpointError):
    """Maskinporten would not grant a token for the consent: unknown, withdrawn, or not this
    client's. The caller needs another consent; retrying will not help."""


class ConsentTokenFetcher(Protocol):
    async def fetch(
        self, scope: str, authorization_details: list[dict[str, Any]] | None = None
    ) -> TokenResponse: ...


_Key = tuple[str, UUID, str]


class ConsentTokenCache:
    def __init__(
        self,
        *,
        fetcher: ConsentTokenFetcher,
        margin_seconds: float = 30.0,
        max_tokens: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._margin = margin_seconds
        self._max_tokens = max_tokens
        self._clock = clock
        self._tokens: OrderedDict[_Key, AccessToken] = OrderedDict()
        self._inflight: dict[_Key, asyncio.Task[AccessToken]] = {}
        self.fetches: Counter[str] = Counter()
        """Grants made, by scope (never by consent or person: a metric label must not carry them)."""

    def __len__(self) -> int:
        return len(self._tokens)

    async def get(self, scope: str, consent: Consent) -> AccessToken:
        """A token for `scope` carrying `consent`, fresh for at least the margin."""
        key = (scope, consent.id, consent.ident)
        token = self._tokens.get(key)
        if token is not None and token.fresh(self._clock(), self._margin):
            self._tokens.move_to_end(key)
            return token
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._fetch(key, consent), name="consent token fetch")
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        # Shielded: one caller giving up must not cancel the fetch the others wait for.
        return await asyncio.shield(task)

    def invalidate(self, scope: str, consent: Consent, token_value: str) -> None:
        """Forget the token if it is still `token_value` (NAV answered 401 to it)."""
        key = (scope, consent.id, consent.ident)
        current = self._tokens.get(key)
        if current is not None and current.value == token_value:
            del self._tokens[key]

    def _settle(self, key: _Key, task: asyncio.Task[AccessToken]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()

    async def _fetch(self, key: _Key, consent: Consent) -> AccessToken:
        scope = key[0]
        started = self._clock()
        self.fetches[scope] += 1
        try:
            response = await self._fetcher.fetch(scope, consent.authorization_details())
        except TokenEndpointError as exc:
            if exc.retryable:
                raise
            # Only the status and OAuth error code: Maskinporten's description may quote the grant.
            raise ConsentRefused(
                f"Maskinporten refused a token for the consent ({exc.status}, {exc.error})",
                status=exc.status,
                error=exc.error,
                retryable=False,
            ) from None
        token = AccessToken(
            value=response.access_token.get_secret_value(),
            scope=scope,
            expires_at=started + response.expires_in,
        )
        self._tokens[key] = token
        self._tokens.move_to_end(key)
        now = self._clock()
        for stale in [k for k, t in self._tokens.items() if not t.fresh(now, 0.0)]:
            del self._tokens[stale]
        while len(self._tokens) > self._max_tokens:
            self._tokens.popitem(last=False)
        return token
