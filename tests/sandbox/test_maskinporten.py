import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from nav_sandbox import GRANT_TYPE
from tests.sandbox.conftest import CLIENT_ID, ISSUER, GrantBuilder, Sandbox

SCOPE = "nav:helse/v1/medlemskapsunntak"


@pytest.mark.parametrize("alg", ["RS256", "RS384", "RS512"])
async def test_a_correct_grant_gets_an_opaque_bearer_token(sandbox: Sandbox, alg: str) -> None:
    response = await sandbox.fetch_token(sandbox.grant(SCOPE, alg=alg))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 120
    assert body["scope"] == SCOPE
    assert len(body["access_token"]) >= 32
    assert response.headers["cache-control"] == "no-store"


async def test_a_grant_may_carry_several_scopes_and_the_optional_claims(sandbox: Sandbox) -> None:
    scope = f"{SCOPE} nav:arbeid/v1/aap"
    extra = {"resource": ["https://api.nav.no"], "consumer_org": "999999999"}
    response = await sandbox.fetch_token(sandbox.grant(scope, extra=extra))
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == scope


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_REJECTIONS: dict[str, tuple[dict[str, Any], str]] = {
    "bad signature": ({"key": _other_key()}, "invalid_grant"),
    "unknown kid": ({"kid": "someone-else"}, "invalid_grant"),
    "wrong aud": ({"aud": "https://maskinporten.no/"}, "invalid_grant"),
    "token url as aud": ({"aud": f"{ISSUER}token"}, "invalid_grant"),
    "wrong iss": ({"iss": "another-client"}, "invalid_grant"),
    "expired": ({"age": 110, "lifetime": 100}, "invalid_grant"),
    "iat in the future": ({"age": -60}, "invalid_grant"),
    "iat too old": ({"age": 30}, "invalid_grant"),
    "exp - iat > 120": ({"lifetime": 121}, "invalid_grant"),
    "unknown claim": ({"extra": {"sub": "someone"}}, "invalid_grant"),
    "disallowed scope": ({"scope": "nav:not/registered"}, "invalid_scope"),
    "one scope of two disallowed": ({"scope": f"{SCOPE} nav:other"}, "invalid_scope"),
    "no scope": ({"scope": None}, "invalid_scope"),
}


@pytest.mark.parametrize(("spoil", "error"), _REJECTIONS.values(), ids=_REJECTIONS.keys())
async def test_a_bad_grant_is_refused_as_maskinporten_does(
    sandbox: Sandbox, spoil: dict[str, Any], error: str
) -> None:
    assertion = sandbox.grant(**{"scope": SCOPE, **spoil})
    response = await sandbox.fetch_token(assertion)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert assertion not in response.text


async def test_only_rsa_signatures_are_accepted(sandbox: Sandbox) -> None:
    now = int(time.time())
    claims = {"aud": ISSUER, "iss": CLIENT_ID, "scope": SCOPE, "iat": now, "exp": now + 60}
    assertion = jwt.encode(claims, "s" * 32, algorithm="HS256")
    response = await sandbox.fetch_token(assertion)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_a_grant_cannot_be_used_twice(sandbox: Sandbox) -> None:
    assertion = sandbox.grant(SCOPE, jti="once")
    assert (await sandbox.fetch_token(assertion)).status_code == 200
    again = await sandbox.fetch_token(assertion)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert "used before" in again.json()["error_description"]


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "client_credentials", "assertion": "x"},
        {"grant_type": GRANT_TYPE},
        {"grant_type": GRANT_TYPE, "assertion": "not-a-jwt"},
    ],
)
async def test_a_malformed_token_request_is_refused(sandbox: Sandbox, form: dict[str, str]) -> None:
    response = await sandbox.client.post("/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_request", "invalid_grant"}


async def test_the_token_request_must_be_a_form(sandbox: Sandbox) -> None:
    response = await sandbox.client.post(
        "/token", json={"grant_type": GRANT_TYPE, "assertion": sandbox.grant(SCOPE)}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


async def test_well_known_names_the_issuer_and_token_endpoint(sandbox: Sandbox) -> None:
    response = await sandbox.client.get("/.well-known/oauth-authorization-server")
    assert response.json()["issuer"] == ISSUER
    assert response.json()["token_endpoint"] == f"{ISSUER}token"


async def test_token_fetches_are_counted_per_scope(sandbox: Sandbox, grant: GrantBuilder) -> None:
    for _ in range(2):
        assert (await sandbox.fetch_token(grant(SCOPE))).status_code == 200
    await sandbox.fetch_token(grant("nav:arbeid/v1/aap"))
    await sandbox.fetch_token(grant(SCOPE, aud="wrong"))
    stats = (await sandbox.client.get("/_sandbox/stats")).json()
    assert stats["token_fetches"] == {SCOPE: 2, "nav:arbeid/v1/aap": 1}
    assert stats["requests"]["token"] == {"200": 3, "400": 1}


async def test_a_grant_too_old_is_refused_with_its_age(sandbox: Sandbox) -> None:
    # The age tells a grant held up between signing and checking from a wrong clock.
    response = await sandbox.fetch_token(sandbox.grant(scope=SCOPE, age=30))
    assert response.status_code == 400
    description = response.json()["error_description"]
    assert "iat is +30." in description or "iat is +31." in description
    assert "not within 10 s" in description
