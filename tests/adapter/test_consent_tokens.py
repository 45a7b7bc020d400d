"""Consent-bearing Maskinporten tokens: the grant asks for the consent, one grant per consent and
person however many requests wait, bounded, and never one person's token for another."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from adapter.nav.consent_tokens import Consent, ConsentRefused, ConsentTokenCache
from adapter.nav.errors import NavRejected, from_transport
from adapter.nav.tokens import MaskinportenClient, MaskinportenConfig
from nav_lookup_contracts import ErrorCode

SCOPE = "nav:helse/v1/uforeopplysninger"
TOKEN_URL = "https://mp.test/token"
A, B = "13097248022", "29029648784"


class Maskinporten:
    """A token endpoint that reads each grant's authorization_details; slow enough for a crowd."""

    def __init__(self) -> None:
        self.grants: list[dict[str, Any]] = []
        self.refuse = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        assertion = parse_qs(request.content.decode())["assertion"][0]
        claims = jwt.decode(assertion, options={"verify_signature": False})
        self.grants.append(claims)
        issued = len(self.grants)
        await asyncio.sleep(0.05)
        if self.refuse:
            # Maskinporten's description may quote the person: it must go no further.
            body = {"error": "invalid_authorization_details", "error_description": f"no consent from {A}"}
            return httpx.Response(400, json=body)
        return httpx.Response(
            200,
            json={"access_token": f"token-{issued}", "token_type": "Bearer", "expires_in": 120},
        )


@pytest.fixture
def endpoint() -> Maskinporten:
    return Maskinporten()


@pytest.fixture
async def cache(endpoint: Maskinporten) -> AsyncIterator[ConsentTokenCache]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    config = MaskinportenConfig(
        token_url=TOKEN_URL,
        audience="https://mp.test/",
        client_id="c",
        key_id="k",
        private_key_pem=SecretStr(pem),
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as http:
        yield ConsentTokenCache(fetcher=MaskinportenClient(http=http, config=config), max_tokens=3)


async def test_the_grant_asks_for_the_consent_of_the_person(
    cache: ConsentTokenCache, endpoint: Maskinporten
) -> None:
    consent = Consent(uuid.uuid4(), A)
    await cache.get(SCOPE, consent)
    assert endpoint.grants[0]["scope"] == SCOPE
    assert endpoint.grants[0]["authorization_details"] == [
        {"type": "urn:altinn:consent", "id": str(consent.id), "from": f"urn:altinn:person:identifier-no:{A}"}
    ]


async def test_fifty_concurrent_requests_for_one_consent_make_one_grant(
    cache: ConsentTokenCache, endpoint: Maskinporten
) -> None:
    consent = Consent(uuid.uuid4(), A)
    tokens = await asyncio.gather(*(cache.get(SCOPE, consent) for _ in range(50)))
    assert len(endpoint.grants) == 1
    assert {t.value for t in tokens} == {"token-1"}
    assert (await cache.get(SCOPE, consent)).value == "token-1" and len(endpoint.grants) == 1


async def test_two_consents_make_two_grants(cache: ConsentTokenCache, endpoint: Maskinporten) -> None:
    first, second = Consent(uuid.uuid4(), A), Consent(uuid.uuid4(), B)
    tokens = await asyncio.gather(*(cache.get(SCOPE, c) for c in [first, second] * 25))
    assert len(endpoint.grants) == 2
    assert len({t.value for t in tokens}) == 2


async def test_a_consent_named_for_another_person_gets_its_own_grant(
    cache: ConsentTokenCache, endpoint: Maskinporten
) -> None:
    consent_id = uuid.uuid4()
    mine = await cache.get(SCOPE, Consent(consent_id, A))
    theirs = await cache.get(SCOPE, Consent(consent_id, B))
    assert mine.value != theirs.value
    assert [g["authorization_details"][0]["from"][-11:] for g in endpoint.grants] == [A, B]


async def test_the_cache_is_bounded(cache: ConsentTokenCache, endpoint: Maskinporten) -> None:
    for _ in range(5):
        await cache.get(SCOPE, Consent(uuid.uuid4(), A))
    assert len(cache) == 3


async def test_a_refused_consent_is_forbidden_and_quotes_nobody(
    cache: ConsentTokenCache, endpoint: Maskinporten
) -> None:
    endpoint.refuse = True
    with pytest.raises(ConsentRefused) as refused:
        await cache.get(SCOPE, Consent(uuid.uuid4(), A))
    assert A not in str(refused.value) and refused.value.error == "invalid_authorization_details"
    mapped = from_transport(refused.value, "uforeopplysninger.get")
    assert isinstance(mapped, NavRejected) and mapped.code is ErrorCode.FORBIDDEN
    assert A not in mapped.message
    assert A not in repr(Consent(uuid.uuid4(), A))
