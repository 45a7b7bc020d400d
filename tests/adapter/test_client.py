"""The NAV client against httpx.MockTransport: headers, retries, deadlines and error mapping."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from adapter.nav.client import ApiEndpoint, NavClient, RetryPolicy
from adapter.nav.consent_tokens import ConsentTokenCache
from adapter.nav.errors import NavRejected, NavUnavailable
from adapter.nav.exchange import HttpxExchange
from adapter.nav.sender import NavSender
from adapter.nav.tokens import TokenCache, TokenEndpointError, TokenResponse
from nav_lookup_contracts import LOOKUP_REQUEST, OPERATIONS, OPERATIONS_BY_NAME, ErrorCode
from nav_lookup_contracts.feeds import SAMORDNING

FNR = "13097248022"
FRIKORT = OPERATIONS_BY_NAME["frikort.brev"]
OK_BODY = b'{"brev": []}'


class StaticTokens:
    def __init__(self, fail: TokenEndpointError | None = None) -> None:
        self.fail = fail
        self.count = 0

    async def fetch(
        self, scope: str, authorization_details: list[dict[str, Any]] | None = None
    ) -> TokenResponse:
        self.count += 1
        if self.fail:
            raise self.fail
        name = "consent-tok" if authorization_details else "tok"
        return TokenResponse(
            access_token=SecretStr(f"{name}-{self.count}"), token_type="Bearer", expires_in=120
        )


def _client(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    tokens: StaticTokens | None = None,
    sleeps: list[float] | None = None,
) -> NavClient:
    async def sleep(delay: float) -> None:
        if sleeps is not None:
            sleeps.append(delay)

    endpoints = {
        op.api.key: ApiEndpoint(
            f"https://nav.test/{op.api.key}",
            SecretStr("sub-key") if op.api.key == "frikort" else None,
        )
        for op in OPERATIONS
    }
    endpoints[SAMORDNING.key] = ApiEndpoint(f"https://nav.test/{SAMORDNING.key}", None)
    return NavClient(
        sender=NavSender(
            http=HttpxExchange(httpx.MockTransport(handler), connect_timeout=3.0),
            tokens=TokenCache(fetcher=tokens or StaticTokens()),
            consent_tokens=ConsentTokenCache(fetcher=tokens or StaticTokens()),
        ),
        endpoints=endpoints,
        consumer_id="consumer-x",
        retry=RetryPolicy(attempts=3, base_delay=0.1),
        request_timeout=10.0,
        breaker_threshold=5,
        breaker_cooldown=10.0,
        sleep=sleep,
        rng=lambda: 0.5,
    )


def _frikort() -> object:
    return LOOKUP_REQUEST.validate_python(
        {
            "request_id": str(uuid.uuid4()),
            "operation": "frikort.brev",
            "scope": FRIKORT.scope,
            "ident": FNR,
            "ar": 2025,
        }
    )


async def test_sends_navs_headers_and_the_subscription_key_where_configured() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=OK_BODY)

    request = _frikort()
    result = await _client(handler).call(FRIKORT, request)  # type: ignore[arg-type]
    assert result.brev == []
    [sent] = seen
    assert str(sent.url) == "https://nav.test/frikort/brev?ar=2025"
    assert sent.headers["authorization"] == "Bearer tok-1"
    assert sent.headers["nav-call-id"] == str(request.request_id)  # type: ignore[attr-defined]
    assert sent.headers["nav-consumer-id"] == "consumer-x"
    assert sent.headers["ocp-apim-subscription-key"] == "sub-key"
    assert sent.headers["fnr"] == FNR


async def test_no_subscription_key_for_apis_configured_without_one() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b'{"status": "LOPENDE"}')

    op = OPERATIONS_BY_NAME["uforeopplysninger.get"]
    request = LOOKUP_REQUEST.validate_python(
        {
            "request_id": str(uuid.uuid4()),
            "operation": op.name,
            "scope": op.scope,
            "ident": FNR,
            "consent_id": str(uuid.uuid4()),
        }
    )
    await _client(handler).call(op, request)
    assert "ocp-apim-subscription-key" not in seen[0].headers
    assert "nav-samtykke-token" not in seen[0].headers
    assert seen[0].headers["authorization"] == "Bearer consent-tok-1"


@pytest.mark.parametrize(
    ("operation", "answer"),
    [
        ("uforeopplysninger.get", b'{"status": "LOPENDE"}'),
        ("aap.vedtak", b'{"uttrekksperiode": {"fraDato": "2024-01-01"}, "vedtaksliste": []}'),
        ("aap.meldekort", b'{"uttrekksperiode": {"fraDato": "2024-01-01"}, "meldekortliste": []}'),
    ],
)
async def test_an_altinn_2_consent_token_goes_as_its_header_with_the_ordinary_scope_token(
    operation: str, answer: bytes
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=answer)

    op = OPERATIONS_BY_NAME[operation]
    request = LOOKUP_REQUEST.validate_python(
        {
            "request_id": str(uuid.uuid4()),
            "operation": op.name,
            "scope": op.scope,
            "ident": FNR,
            "consent_token": "c2FtdHlra2U=",
        }
    )
    tokens = StaticTokens()
    await _client(handler, tokens=tokens).call(op, request)
    [sent] = seen
    assert sent.headers["nav-samtykke-token"] == "c2FtdHlra2U="
    assert sent.headers["authorization"] == "Bearer tok-1"  # no consent-bearing grant
    assert tokens.count == 1


async def test_transient_failures_are_retried_with_jittered_backoff() -> None:
    statuses = iter([503, 502, 200])
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(status, content=OK_BODY if status == 200 else b"")

    await _client(handler, sleeps=sleeps).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert sleeps == [0.5 * 0.2, 0.5 * 0.4]


async def test_retry_after_is_honoured_and_attempts_are_bounded() -> None:
    sleeps: list[float] = []
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"Retry-After": "3"})

    with pytest.raises(NavUnavailable) as caught:
        await _client(handler, sleeps=sleeps).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.RATE_LIMITED
    assert calls == 3 and sleeps == [3.0, 3.0]


async def test_no_retry_past_the_deadline() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, headers={"Retry-After": "30"})

    with pytest.raises(NavUnavailable):
        await _client(handler).call(FRIKORT, _frikort(), deadline=time.monotonic() + 5)  # type: ignore[arg-type]
    assert calls == 1


async def test_permanent_errors_are_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404)

    with pytest.raises(NavRejected) as caught:
        await _client(handler).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.NOT_FOUND and calls == 1


async def test_timeouts_and_connect_errors_are_typed() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(NavUnavailable) as caught:
        await _client(timeout).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.TIMEOUT
    with pytest.raises(NavUnavailable) as caught:
        await _client(refused).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE


async def test_token_endpoint_failures_are_typed() -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("NAV must not be called without a token")

    refused = StaticTokens(TokenEndpointError("refused", status=400, error="invalid_grant", retryable=False))
    with pytest.raises(NavRejected) as rejected:
        await _client(never, tokens=refused).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert rejected.value.code is ErrorCode.UNAUTHORIZED

    down = StaticTokens(TokenEndpointError("down", status=503, retryable=True))
    with pytest.raises(NavUnavailable) as unavailable:
        await _client(never, tokens=down).call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert unavailable.value.code is ErrorCode.UPSTREAM_UNAVAILABLE


async def test_circuit_opens_after_repeated_failures_and_stops_calls() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    client = _client(handler)
    for _ in range(2):  # 3 attempts each: the 5th failure opens the circuit
        with pytest.raises(NavUnavailable):
            await client.call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert calls == 5
    with pytest.raises(NavUnavailable, match="circuit open"):
        await client.call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert calls == 5
    assert client.breakers["frikort"].state == "open"
    assert client.breakers["aap"].state == "closed"


async def test_pensjon_gws_503_is_its_rate_limit_and_never_opens_the_circuit() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, headers={"Retry-After": "7"} if calls % 2 else {})

    client = _client(handler)
    for attempt in range(20):  # four times the breaker's threshold
        with pytest.raises(NavUnavailable) as caught:
            await client.get_page(
                SAMORDNING.key,
                "feed samordning.ytelser.3010",
                "/hendelser/ytelser",
                scope="nav:pensjon/v1/samordning",
                params=(("sekvensnummer", "1"),),
            )
        assert caught.value.code is ErrorCode.RATE_LIMITED
        assert caught.value.retry_after == (7 if attempt % 2 == 0 else None)
    assert calls == 20
    assert client.breakers[SAMORDNING.key].state == "closed"


async def test_elsewhere_a_503_is_an_outage() -> None:
    client = _client(lambda request: httpx.Response(503))
    with pytest.raises(NavUnavailable) as caught:
        await client.call(FRIKORT, _frikort())  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.UPSTREAM_UNAVAILABLE
