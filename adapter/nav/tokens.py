"""Maskinporten access tokens: the JWT grant, the token endpoint client and the shared cache.

    MaskinportenClient.fetch(scope) -> TokenResponse    one signed grant, one POST, no caching
    TokenCache.get(scope) -> AccessToken                 cached per scope, one fetch in flight
    TokenEndpointError(status, error, retryable)         everything that can go wrong fetching

The endpoint client only reports `expires_in`; the cache stamps expiry on its own monotonic clock,
so wall-clock jumps never make a token look fresher or staler than it is.

No token, private key or grant ever reaches a log line, an exception message or a repr.
"""

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

log = logging.getLogger(__name__)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_GRANT_LIFETIME_SECONDS = 120  # Maskinporten rejects a grant with exp - iat above this
_MAX_DESCRIPTION = 200
_DIGITS = re.compile(r"\d{6,}")


@dataclass(frozen=True)
class MaskinportenConfig:
    """Who we are to Maskinporten. `audience` is the issuer, e.g. https://test.maskinporten.no/."""

    token_url: str
    audience: str
    client_id: str
    key_id: str
    private_key_pem: SecretStr
    grant_lifetime_seconds: int = 100
    refresh_margin_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.grant_lifetime_seconds <= MAX_GRANT_LIFETIME_SECONDS:
            raise ValueError(
                f"grant_lifetime_seconds must be in 1..{MAX_GRANT_LIFETIME_SECONDS}, "
                f"got {self.grant_lifetime_seconds}"
            )
        if self.refresh_margin_seconds < 0:
            raise ValueError("refresh_margin_seconds must not be negative")


def make_grant(
    config: MaskinportenConfig,
    scope: str,
    now: float,
    authorization_details: list[dict[str, Any]] | None = None,
    *,
    key: rsa.RSAPrivateKey | None = None,
) -> str:
    """A fresh RS256 JWT grant for `scope`, issued at wall-clock time `now`; with
    `authorization_details`, for a token carrying them (an Altinn 3 consent). `key` is the
    config's key already loaded: loading a PEM checks the key, which costs more than signing."""
    iat = int(now)
    claims: dict[str, Any] = {
        "aud": config.audience,
        "iss": config.client_id,
        "scope": scope,
        "iat": iat,
        "exp": iat + config.grant_lifetime_seconds,
        # Maskinporten refuses a grant it has seen before (MP-012).
        "jti": uuid.uuid4().hex,
    }
    if authorization_details is not None:
        claims["authorization_details"] = authorization_details
    return jwt.encode(
        claims,
        key if key is not None else config.private_key_pem.get_secret_value(),
        algorithm="RS256",
        headers={"kid": config.key_id},
    )


class TokenResponse(BaseModel):
    """The token endpoint's answer; `scope` is informational only."""

    model_config = ConfigDict(frozen=True)

    access_token: SecretStr
    token_type: str
    expires_in: int = Field(gt=0)
    scope: str | None = None

    @field_validator("token_type")
    @classmethod
    def _bearer(cls, value: str) -> str:
        if value.lower() != "bearer":
            raise ValueError("only Bearer tokens are supported")
        return value


@dataclass(frozen=True)
class AccessToken:
    """A token for one scope; `expires_at` is on the cache's monotonic clock."""

    value: str = field(repr=False)
    scope: str
    expires_at: float

    def fresh(self, now: float, margin: float) -> bool:
        return now < self.expires_at - margin


class TokenEndpointError(Exception):
    """A token could not be had. `error` is the OAuth error code, if Maskinporten sent one."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retryable: bool,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.retryable = retryable


def _oauth_error(response: httpx.Response, assertion: str) -> tuple[str | None, str | None]:
    """(error, error_description) from an OAuth error body; nothing else of the body is kept."""
    try:
        body: Any = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    error, description = body.get("error"), body.get("error_description")
    error = error[:64] if isinstance(error, str) else None
    if isinstance(description, str):
        # A misbehaving server or proxy could echo the request; never pass the grant on.
        description = description.replace(assertion, "<grant>")
        # ... nor a person's ident that an authorization_details error might quote.
        description = _DIGITS.sub("<number>", description)[:_MAX_DESCRIPTION]
    else:
        description = None
    return error, description


def _load_private_key(pem: SecretStr) -> rsa.RSAPrivateKey:
    # At startup, not on the first lookup; cryptography's own message is not passed on.
    try:
        key = serialization.load_pem_private_key(pem.get_secret_value().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the Maskinporten private key is not an unencrypted RSA key in PEM")
    return key


class MaskinportenClient:
    """Trades a signed grant for an access token. Caching is `TokenCache`'s job."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        config: MaskinportenConfig,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = _load_private_key(config.private_key_pem)  # once: every grant signs with it
        self._http = http
        self._config = config
        self._clock = clock  # wall clock: Maskinporten checks iat against its own within ±10 s

    async def fetch(
        self, scope: str, authorization_details: list[dict[str, Any]] | None = None
    ) -> TokenResponse:
        assertion = make_grant(self._config, scope, self._clock(), authorization_details, key=self._key)
        try:
            response = await self._http.post(
                self._config.token_url,
                data={"grant_type": GRANT_TYPE, "assertion": assertion},
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            # Only the class name: the exception carries the request, and the request the grant.
            raise TokenEndpointError(
                f"cannot reach Maskinporten for {scope} ({type(exc).__name__})", retryable=True
            ) from None
        status = response.status_code
        if status != httpx.codes.OK:
            error, description = _oauth_error(response, assertion)
            detail = ": ".join(part for part in (error, description) if part)
            raise TokenEndpointError(
                f"Maskinporten answered {status} for {scope}" + (f" ({detail})" if detail else ""),
                status=status,
                error=error,
                retryable=status >= 500 or status == httpx.codes.TOO_MANY_REQUESTS,
            )
        try:
            return TokenResponse.model_validate_json(response.content)
        except ValidationError:
            # The validation error quotes its input, which would include the token.
            raise TokenEndpointError(
                f"Maskinporten answered 200 for {scope} with an unusable token response",
                status=status,
                retryable=False,
            ) from None


class TokenFetcher(Protocol):
    async def fetch(self, scope: str) -> TokenResponse: ...


class TokenCache:
    """Access tokens per scope, shared by every NAV call in the process.

    On a miss one fetch per scope runs and every caller for that scope awaits it; a failure
    reaches all of them and the next call tries again. `run_refresher` renews tokens before
    they enter the margin, so steady traffic never waits for Maskinporten.
    """

    def __init__(
        self,
        *,
        fetcher: TokenFetcher,
        margin_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._margin = margin_seconds
        self._clock = clock
        self._tokens: dict[str, AccessToken] = {}
        self._inflight: dict[str, asyncio.Task[AccessToken]] = {}
        self._scopes: set[str] = set()  # every scope asked for: the refresher keeps these warm
        self.fetches: Counter[str] = Counter()
        self.hits: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()  # fetches Maskinporten refused or did not answer
        self.obtained: Counter[str] = Counter()  # fetches that brought a token

    async def get(self, scope: str) -> AccessToken:
        """A token for `scope` that is fresh for at least the margin, fetching if need be."""
        self._scopes.add(scope)
        token = self._tokens.get(scope)
        if token is not None and token.fresh(self._clock(), self._margin):
            self.hits[scope] += 1
            return token
        try:
            return await self._refresh(scope)
        except TokenEndpointError:
            # Inside the margin the old token still works: a Maskinporten blip should not fail
            # calls it could have served.
            current = self._tokens.get(scope)
            if current is not None and current is token and current.fresh(self._clock(), 0.0):
                return current
            raise

    def invalidate(self, scope: str, token_value: str) -> None:
        """Forget `scope`'s token if it is still `token_value`, e.g. after NAV answered 401.

        A token another caller has already refreshed is kept.
        """
        current = self._tokens.get(scope)
        if current is not None and current.value == token_value:
            del self._tokens[scope]

    async def run_refresher(
        self, stop: asyncio.Event, *, interval: float = 1.0, lead_seconds: float = 10.0
    ) -> None:
        """Until `stop` is set, renew every known scope's token `lead_seconds` before the margin."""
        while not stop.is_set():
            now = self._clock()
            due = [
                scope
                for scope in sorted(self._scopes)
                if (token := self._tokens.get(scope)) is None
                or not token.fresh(now, self._margin + lead_seconds)
            ]
            results = await asyncio.gather(*(self._refresh(scope) for scope in due), return_exceptions=True)
            for scope, result in zip(due, results, strict=True):
                if isinstance(result, TokenEndpointError):
                    if not result.retryable:
                        # Retrying every interval will not help; the next get() brings it back.
                        self._scopes.discard(scope)
                    log.warning(
                        "token refresh for %s failed: status=%s error=%s retryable=%s",
                        scope,
                        result.status,
                        result.error,
                        result.retryable,
                    )
                elif isinstance(result, BaseException):
                    log.error("token refresh for %s failed", scope, exc_info=result)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def _refresh(self, scope: str) -> AccessToken:
        task = self._inflight.get(scope)
        if task is None:
            task = asyncio.create_task(self._fetch(scope), name=f"token fetch {scope}")
            self._inflight[scope] = task
            task.add_done_callback(lambda done: self._settle(scope, done))
        # Shielded: one caller giving up (its deadline passed) must not cancel the fetch that
        # the other callers are waiting for.
        return await asyncio.shield(task)

    def _settle(self, scope: str, task: asyncio.Task[AccessToken]) -> None:
        if self._inflight.get(scope) is task:
            del self._inflight[scope]
        # Retrieved here, so a fetch nobody awaits any more is not reported.
        if not task.cancelled() and task.exception() is not None:
            self.failures[scope] += 1

    async def _fetch(self, scope: str) -> AccessToken:
        # Stamped before the request: time spent in flight counts against the token, not for it.
        started = self._clock()
        self.fetches[scope] += 1
        response = await self._fetcher.fetch(scope)
        token = AccessToken(
            value=response.access_token.get_secret_value(),
            scope=scope,
            expires_at=started + response.expires_in,
        )
        self._tokens[scope] = token
        self.obtained[scope] += 1
        return token
