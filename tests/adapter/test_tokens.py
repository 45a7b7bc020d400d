"""Maskinporten grants, the token cache and NavSender's bearer tokens, against MockTransport endpoints."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from adapter.nav.exchange import HttpxExchange
from adapter.nav.sender import NavSender
from adapter.nav.tokens import (
    GRANT_TYPE,
    AccessToken,
    MaskinportenClient,
    MaskinportenConfig,
    TokenCache,
    TokenEndpointError,
    make_grant,
)

AUDIENCE = "https://test.maskinporten.no/"
TOKEN_URL = "https://maskinporten.test/token"
NAV_URL = "https://nav.test/api"
CLIENT_ID = "client-1"
KEY_ID = "key-1"
SCOPE = "nav:helse/v1/medlemskapsunntak"
OTHER_SCOPE = "nav:arbeid/v1/aap"
CLAIMS = {"aud", "iss", "scope", "iat", "exp", "jti"}


@dataclass(frozen=True)
class Keys:
    private_pem: str
    public_key: rsa.RSAPublicKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Keys(pem, key.public_key())


@pytest.fixture
def config(keys: Keys) -> MaskinportenConfig:
    return MaskinportenConfig(
        token_url=TOKEN_URL,
        audience=AUDIENCE,
        client_id=CLIENT_ID,
        key_id=KEY_ID,
        private_key_pem=SecretStr(keys.private_pem),
    )


def check_grant(assertion: str, keys: Keys) -> dict[str, object]:
    """The grant's claims, after checking it the way Maskinporten would."""
    header = jwt.get_unverified_header(assertion)
    assert header["alg"] == "RS256"
    assert header["kid"] == KEY_ID
    assert "x5c" not in header
    claims: dict[str, object] = jwt.decode(
        assertion,
        keys.public_key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=CLIENT_ID,
        options={"require": sorted(CLAIMS)},
    )
    assert set(claims) == CLAIMS
    iat, exp = claims["iat"], claims["exp"]
    assert isinstance(iat, int)
    assert isinstance(exp, int)
    assert 0 < exp - iat <= 120
    return claims


class TokenEndpoint:
    """A Maskinporten that verifies every grant and counts hits. Queued replies go first."""

    def __init__(self, keys: Keys, *, delay: float = 0.0, expires_in: int = 120) -> None:
        self.keys = keys
        self.delay = delay
        self.expires_in = expires_in
        self.hits = 0
        self.scopes: list[str] = []
        self.assertions: list[str] = []
        self.replies: list[httpx.Response | Exception | Callable[[str], httpx.Response]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hits += 1
        assert request.method == "POST"
        assert str(request.url) == TOKEN_URL
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        form = parse_qs(request.content.decode(), strict_parsing=True)
        assert set(form) == {"grant_type", "assertion"}
        assert form["grant_type"] == [GRANT_TYPE]
        assertion = form["assertion"][0]
        claims = check_grant(assertion, self.keys)
        assert claims["jti"] not in {
            jwt.decode(a, options={"verify_signature": False})["jti"] for a in self.assertions
        }
        self.assertions.append(assertion)
        scope = claims["scope"]
        assert isinstance(scope, str)
        self.scopes.append(scope)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.replies:
            reply = self.replies.pop(0)
            if isinstance(reply, Exception):
                raise reply
            if isinstance(reply, httpx.Response):
                return reply
            return reply(assertion)
        return httpx.Response(
            200,
            json={
                "access_token": f"token-{self.hits}",
                "token_type": "Bearer",
                "expires_in": self.expires_in,
                "scope": scope,
            },
        )


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Nav:
    """A NAV API that refuses the tokens in `refused` with 401."""

    def __init__(self, refused: set[str] | None = None, *, refuse_all: bool = False) -> None:
        self.refused = refused or set()
        self.refuse_all = refuse_all
        self.tokens: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        auth = request.headers["authorization"]
        assert auth.startswith("Bearer ")
        token = auth.removeprefix("Bearer ")
        self.tokens.append(token)
        if self.refuse_all or token in self.refused:
            return httpx.Response(401, json={"message": "invalid token"})
        return httpx.Response(200, json={"ok": True})


@pytest.fixture
def endpoint(keys: Keys) -> TokenEndpoint:
    return TokenEndpoint(keys)


@pytest.fixture
def nav() -> Nav:
    return Nav()


@pytest.fixture
def transport(endpoint: TokenEndpoint, nav: Nav) -> httpx.MockTransport:
    async def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "maskinporten.test":
            return await endpoint(request)
        return nav(request)

    return httpx.MockTransport(route)


@pytest.fixture
async def http(transport: httpx.MockTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def maskinporten(http: httpx.AsyncClient, config: MaskinportenConfig) -> MaskinportenClient:
    return MaskinportenClient(http=http, config=config)


@pytest.fixture
def cache(maskinporten: MaskinportenClient, clock: FakeClock) -> TokenCache:
    return TokenCache(fetcher=maskinporten, margin_seconds=30, clock=clock)


async def eventually(condition: Callable[[], bool]) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail("the condition did not hold within 2 s")


# The grant


def test_grant_has_exactly_the_claims_maskinporten_accepts(config: MaskinportenConfig, keys: Keys) -> None:
    now = time.time()
    claims = check_grant(make_grant(config, SCOPE, now), keys)
    assert claims["scope"] == SCOPE
    assert claims["iat"] == int(now)
    assert claims["exp"] == int(now) + config.grant_lifetime_seconds


def test_every_grant_has_its_own_jti(config: MaskinportenConfig, keys: Keys) -> None:
    now = time.time()
    first = check_grant(make_grant(config, SCOPE, now), keys)
    second = check_grant(make_grant(config, SCOPE, now), keys)
    assert first["jti"] != second["jti"]


@pytest.mark.parametrize("lifetime", [0, 121])
def test_grant_lifetime_is_bounded(config: MaskinportenConfig, lifetime: int) -> None:
    with pytest.raises(ValueError, match="grant_lifetime_seconds"):
        MaskinportenConfig(
            token_url=TOKEN_URL,
            audience=AUDIENCE,
            client_id=CLIENT_ID,
            key_id=KEY_ID,
            private_key_pem=config.private_key_pem,
            grant_lifetime_seconds=lifetime,
        )


def test_secrets_stay_out_of_reprs(config: MaskinportenConfig, keys: Keys) -> None:
    token = AccessToken(value="secret-token", scope=SCOPE, expires_at=1.0)
    assert "secret-token" not in repr(token)
    assert keys.private_pem.splitlines()[3] not in repr(config)


async def test_the_private_key_is_loaded_once_not_for_every_grant(
    http: httpx.AsyncClient,
    config: MaskinportenConfig,
    endpoint: TokenEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Loading a PEM checks the RSA key, which costs more than signing the grant with it.
    loads: list[bytes] = []
    real = serialization.load_pem_private_key

    def counted(data: bytes, *args: Any, **kwargs: Any) -> Any:
        loads.append(data)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(serialization, "load_pem_private_key", counted)
    monkeypatch.setattr(jwt.algorithms, "load_pem_private_key", counted)
    client = MaskinportenClient(http=http, config=config)
    for scope in (SCOPE, OTHER_SCOPE, SCOPE):
        await client.fetch(scope)
    assert endpoint.scopes == [SCOPE, OTHER_SCOPE, SCOPE]  # every grant checked against the public key
    assert len(loads) == 1


async def test_a_bad_private_key_fails_at_construction(http: httpx.AsyncClient) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    bad = MaskinportenConfig(
        token_url=TOKEN_URL,
        audience=AUDIENCE,
        client_id=CLIENT_ID,
        key_id=KEY_ID,
        private_key_pem=SecretStr(pem),
    )
    with pytest.raises(ValueError, match="not an unencrypted RSA key") as caught:
        MaskinportenClient(http=http, config=bad)
    assert "bm90IGEga2V5" not in str(caught.value)


# The token endpoint client


async def test_fetch_posts_the_grant_and_parses_the_answer(
    maskinporten: MaskinportenClient, endpoint: TokenEndpoint
) -> None:
    response = await maskinporten.fetch(SCOPE)
    assert response.access_token.get_secret_value() == "token-1"
    assert response.expires_in == 120
    assert endpoint.hits == 1
    assert endpoint.scopes == [SCOPE]


async def test_invalid_grant_is_permanent_and_leaks_nothing(
    maskinporten: MaskinportenClient, endpoint: TokenEndpoint, keys: Keys
) -> None:
    # A server that echoes the grant must not get it into our message.
    endpoint.replies.append(
        lambda assertion: httpx.Response(
            400,
            json={
                "error": "invalid_grant",
                "error_description": f"Invalid assertion {assertion} (MP-100)",
                "raw_body": "never copied",
            },
        )
    )
    with pytest.raises(TokenEndpointError) as caught:
        await maskinporten.fetch(SCOPE)
    exc = caught.value
    assert (exc.status, exc.error, exc.retryable) == (400, "invalid_grant", False)
    text = f"{exc} {exc!r} {exc.args}"
    assert "invalid_grant" in text
    assert "MP-100" in text
    assert "never copied" not in text
    [assertion] = endpoint.assertions
    for secret in (assertion, *assertion.split("."), keys.private_pem, keys.private_pem.split()[5]):
        assert secret not in text


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (500, True), (429, True), (403, False)])
async def test_status_decides_retryable(
    maskinporten: MaskinportenClient, endpoint: TokenEndpoint, status: int, retryable: bool
) -> None:
    endpoint.replies.append(httpx.Response(status, text="<html>proxy error</html>"))
    with pytest.raises(TokenEndpointError) as caught:
        await maskinporten.fetch(SCOPE)
    assert (caught.value.status, caught.value.error) == (status, None)
    assert caught.value.retryable is retryable
    assert "proxy error" not in str(caught.value)


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")], ids=["connect", "timeout"]
)
async def test_transport_errors_are_retryable(
    maskinporten: MaskinportenClient, endpoint: TokenEndpoint, exc: Exception
) -> None:
    endpoint.replies.append(exc)
    with pytest.raises(TokenEndpointError) as caught:
        await maskinporten.fetch(SCOPE)
    assert (caught.value.status, caught.value.retryable) == (None, True)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize(
    "body",
    [
        {"access_token": "leaky-token", "token_type": "Bearer"},
        {"access_token": "leaky-token", "token_type": "MAC", "expires_in": 120},
        {"access_token": "leaky-token", "token_type": "Bearer", "expires_in": 0},
    ],
    ids=["no-expiry", "not-bearer", "zero-expiry"],
)
async def test_an_unusable_200_is_permanent_and_hides_the_token(
    maskinporten: MaskinportenClient, endpoint: TokenEndpoint, body: dict[str, object]
) -> None:
    endpoint.replies.append(httpx.Response(200, json=body))
    with pytest.raises(TokenEndpointError) as caught:
        await maskinporten.fetch(SCOPE)
    assert (caught.value.status, caught.value.retryable) == (200, False)
    assert "leaky-token" not in f"{caught.value} {caught.value!r}"


# The cache


async def test_concurrent_gets_on_a_cold_cache_share_one_fetch(
    cache: TokenCache, endpoint: TokenEndpoint
) -> None:
    endpoint.delay = 0.05
    tokens = await asyncio.gather(*(cache.get(SCOPE) for _ in range(100)))
    assert endpoint.hits == 1
    assert {t.value for t in tokens} == {"token-1"}
    assert cache.fetches[SCOPE] == 1


async def test_cached_until_the_margin_then_fetched_again(
    cache: TokenCache, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    first = await cache.get(SCOPE)
    assert first.expires_at == 1000.0 + 120  # stamped on the cache's clock, not the wall clock
    clock.now += 89.9
    assert await cache.get(SCOPE) is first
    assert (endpoint.hits, cache.hits[SCOPE]) == (1, 1)
    clock.now = first.expires_at - 30  # inside the 30 s margin
    second = await cache.get(SCOPE)
    assert second.value == "token-2"
    assert endpoint.hits == 2
    assert cache.fetches[SCOPE] == 2


async def test_scopes_are_cached_separately(cache: TokenCache, endpoint: TokenEndpoint) -> None:
    a, b = await asyncio.gather(cache.get(SCOPE), cache.get(OTHER_SCOPE))
    assert (a.scope, b.scope) == (SCOPE, OTHER_SCOPE)
    assert a.value != b.value
    assert sorted(endpoint.scopes) == sorted([SCOPE, OTHER_SCOPE])
    assert await cache.get(SCOPE) is a
    assert await cache.get(OTHER_SCOPE) is b
    assert endpoint.hits == 2


async def test_a_failed_fetch_reaches_every_waiter_and_the_next_call_retries(
    cache: TokenCache, endpoint: TokenEndpoint
) -> None:
    endpoint.delay = 0.02
    endpoint.replies.append(httpx.Response(503))
    results = await asyncio.gather(*(cache.get(SCOPE) for _ in range(10)), return_exceptions=True)
    assert endpoint.hits == 1
    assert all(isinstance(r, TokenEndpointError) and r.retryable for r in results)
    token = await cache.get(SCOPE)
    assert token.value == "token-2"
    assert endpoint.hits == 2


async def test_a_cancelled_waiter_does_not_cancel_the_shared_fetch(
    cache: TokenCache, endpoint: TokenEndpoint
) -> None:
    endpoint.delay = 0.05
    impatient = asyncio.create_task(cache.get(SCOPE))
    patient = asyncio.create_task(cache.get(SCOPE))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert (await patient).value == "token-1"
    assert impatient.cancelled()
    assert endpoint.hits == 1


async def test_invalidate_drops_only_the_token_it_names(cache: TokenCache, endpoint: TokenEndpoint) -> None:
    first = await cache.get(SCOPE)
    cache.invalidate(SCOPE, "some-other-token")
    assert await cache.get(SCOPE) is first
    cache.invalidate(SCOPE, first.value)
    second = await cache.get(SCOPE)
    assert second.value == "token-2"
    # A late 401 for the old token must not throw away the refresh someone else already did.
    cache.invalidate(SCOPE, first.value)
    assert await cache.get(SCOPE) is second
    cache.invalidate(OTHER_SCOPE, second.value)
    assert await cache.get(SCOPE) is second
    assert endpoint.hits == 2


async def test_inside_the_margin_a_failed_refresh_falls_back_to_the_valid_token(
    cache: TokenCache, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    first = await cache.get(SCOPE)
    endpoint.replies += [httpx.Response(503), httpx.Response(503)]
    clock.now = first.expires_at - 10
    assert await cache.get(SCOPE) is first
    clock.now = first.expires_at
    with pytest.raises(TokenEndpointError):
        await cache.get(SCOPE)
    assert endpoint.hits == 3


async def test_the_refresher_renews_ahead_of_expiry(
    cache: TokenCache, endpoint: TokenEndpoint, clock: FakeClock
) -> None:
    first = await cache.get(SCOPE)
    stop = asyncio.Event()
    refresher = asyncio.create_task(cache.run_refresher(stop, interval=0.005, lead_seconds=10))
    try:
        clock.now = first.expires_at - 41  # outside margin + lead: nothing to do yet
        await asyncio.sleep(0.05)
        assert endpoint.hits == 1
        clock.now = first.expires_at - 39
        await eventually(lambda: endpoint.hits == 2)
        # Traffic inside what would have been the margin is served from the cache.
        clock.now = first.expires_at - 5
        token = await cache.get(SCOPE)
        assert token.value == "token-2"
        assert cache.fetches[SCOPE] == 2
    finally:
        stop.set()
        await asyncio.wait_for(refresher, 1)
    assert endpoint.hits == 2


async def test_the_refresher_survives_a_failing_endpoint(
    cache: TokenCache, endpoint: TokenEndpoint, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    first = await cache.get(SCOPE)
    endpoint.replies.append(httpx.Response(503, json={"error": "server_error"}))
    stop = asyncio.Event()
    refresher = asyncio.create_task(cache.run_refresher(stop, interval=0.005))
    try:
        clock.now = first.expires_at - 35
        await eventually(lambda: endpoint.hits == 3)
    finally:
        stop.set()
        await asyncio.wait_for(refresher, 1)
    assert "server_error" in caplog.text
    assert (await cache.get(SCOPE)).value == "token-3"
    assert all(a not in caplog.text for a in endpoint.assertions)


# NavSender: the bearer token on NAV requests


@pytest.fixture
def sender(transport: httpx.MockTransport, cache: TokenCache) -> NavSender:
    return NavSender(http=HttpxExchange(transport, connect_timeout=3.0), tokens=cache)


async def _get(sender: NavSender) -> int:
    return (await sender.send("GET", NAV_URL, scope=SCOPE, headers={}, timeout=1.0)).status


async def test_a_401_refreshes_once_and_retries_once(
    sender: NavSender, endpoint: TokenEndpoint, nav: Nav
) -> None:
    nav.refused = {"token-1"}
    assert await _get(sender) == 200
    assert nav.tokens == ["token-1", "token-2"]
    assert endpoint.hits == 2


async def test_a_second_401_is_returned_as_is(sender: NavSender, endpoint: TokenEndpoint, nav: Nav) -> None:
    nav.refuse_all = True
    assert await _get(sender) == 401
    assert nav.tokens == ["token-1", "token-2"]
    assert endpoint.hits == 2


async def test_concurrent_calls_share_the_token(sender: NavSender, endpoint: TokenEndpoint, nav: Nav) -> None:
    endpoint.delay = 0.02
    statuses = await asyncio.gather(*(_get(sender) for _ in range(20)))
    assert set(statuses) == {200}
    assert set(nav.tokens) == {"token-1"}
    assert endpoint.hits == 1


async def test_token_endpoint_failures_propagate_through_the_sender(
    sender: NavSender, endpoint: TokenEndpoint, nav: Nav
) -> None:
    endpoint.replies.append(httpx.Response(400, json={"error": "invalid_scope"}))
    with pytest.raises(TokenEndpointError) as caught:
        await _get(sender)
    assert (caught.value.error, caught.value.retryable) == ("invalid_scope", False)
    assert nav.tokens == []


async def test_the_sender_passes_the_request_as_given_and_the_answer_back(
    transport: httpx.MockTransport, cache: TokenCache
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "maskinporten.test":
            raise AssertionError("the token comes from the cache")
        seen.append(request)
        return httpx.Response(201, headers={"x-answer": "yes"}, content=b'{"a": 1}')

    await cache.get(SCOPE)
    sender = NavSender(http=HttpxExchange(httpx.MockTransport(handler), connect_timeout=0.5), tokens=cache)
    answer = await sender.send(
        "POST",
        NAV_URL,
        scope=SCOPE,
        headers={"Nav-Call-Id": "c-1"},
        params=(("a", "1"), ("a", "2")),
        content=b'{"q": true}',
        timeout=2.0,
    )
    assert (answer.status, answer.headers["x-answer"], answer.content) == (201, "yes", b'{"a": 1}')
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", NAV_URL + "?a=1&a=2")
    assert request.headers["Nav-Call-Id"] == "c-1"
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.content == b'{"q": true}'
    assert request.extensions["timeout"] == {"connect": 0.5, "read": 2.0, "write": 2.0, "pool": 2.0}
