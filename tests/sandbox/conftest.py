"""Shared helpers: the client's RSA key and JWKS file, a grant builder, and a sandbox client that
builds NAV requests from the operations table."""

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from nav_lookup_contracts.operations import CONSENT_TYPE, PERSON_URN_PREFIX, Operation
from nav_sandbox import GRANT_TYPE, Person, SandboxConfig, consent_of, create_app

BASE_URL = "http://sandbox"
ISSUER = f"{BASE_URL}/"
CLIENT_ID = SandboxConfig().client_id
KID = "sandbox-test-key"
SUBSCRIPTION_KEY = SandboxConfig().subscription_key


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def jwks_path(tmp_path_factory: pytest.TempPathFactory, rsa_key: rsa.RSAPrivateKey) -> Path:
    jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))
    path = tmp_path_factory.mktemp("jwks") / "client-jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}))
    return path


@dataclass(frozen=True)
class GrantBuilder:
    """Builds a Maskinporten JWT grant; every claim and header can be spoilt for a test."""

    key: rsa.RSAPrivateKey

    def __call__(
        self,
        scope: str | None,
        *,
        aud: str = ISSUER,
        iss: str = CLIENT_ID,
        age: float = 0,
        lifetime: float = 60,
        jti: str | None = None,
        extra: Mapping[str, Any] | None = None,
        alg: str = "RS256",
        kid: str = KID,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        issued = time.time() - age
        claims: dict[str, Any] = {
            "aud": aud,
            "iss": iss,
            "iat": int(issued),
            "exp": int(issued + lifetime),
            "jti": jti or str(uuid.uuid4()),
            **(extra or {}),
        }
        if scope is not None:
            claims["scope"] = scope
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="session")
def grant(rsa_key: rsa.RSAPrivateKey) -> GrantBuilder:
    return GrantBuilder(rsa_key)


@pytest.fixture
def config(jwks_path: Path) -> SandboxConfig:
    return SandboxConfig(jwks_path=jwks_path, max_hang_seconds=0.5, fault_seed=7)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def nav_request(op: Operation, values: Mapping[str, Any]) -> dict[str, Any]:
    """httpx.request kwargs for `op`, placing each request field where the table says."""
    placed = op.place(values, _text)
    return {
        "method": op.method,
        "url": f"/{op.api.key}{placed.path}",
        "params": list(placed.query),
        "headers": placed.headers,
        "json": placed.body,
    }


def sample_values(op: Operation, person: Person) -> dict[str, Any]:
    """Request fields that find `person`'s data for `op`."""
    common = {"ident": person.ident, "consent_id": consent_of(person.ident).id}
    values: dict[str, dict[str, Any]] = {
        "medlemskapsunntak.get": {
            "unntak_id": person.medlemskapsunntak[0].unntakId,
            "inkluder_sporingsinfo": True,
        },
        "medlemskapsunntak.search": common,
        "uforeopplysninger.get": common,
        "aap.vedtak": common,
        "aap.meldekort": common,
        "frikort.brev": common,
        "sareksport.samhandlere": {"side": 0, "antall": 10},
        "pensjon.vedtaksinformasjon": {**common, "tpnr": "3010", "fom": date(2000, 1, 1)},
        "pensjon.simuler_alderspensjon": {
            "tpnr": "3010",
            "hent_full_ap_liste": True,
            "simulering": {
                "fnr": person.ident,
                "sivilstandVedPensjonering": "UGIF",
                "forsteUttak": {"datoFom": "2030-01-01", "grad": 50},
                "heltUttak": {"datoFom": "2031-01-01", "grad": 100},
            },
        },
    }
    return values[op.name]


def consent_details(consent_id: Any, ident: str) -> list[dict[str, str]]:
    """A grant's `authorization_details` for an Altinn 3 consent, as the adapter sends it."""
    return [{"type": CONSENT_TYPE, "id": str(consent_id), "from": PERSON_URN_PREFIX + ident}]


def about(values: Mapping[str, Any], ident: str) -> dict[str, Any]:
    """`values` asking about `ident` instead, with that person's consent where one is needed."""
    changed = {**values, "ident": ident}
    if "consent_id" in values:
        changed["consent_id"] = consent_of(ident).id
    return changed


@dataclass
class Sandbox:
    client: httpx.AsyncClient
    grant: GrantBuilder
    _tokens: dict[str, str] = field(default_factory=dict)

    async def fetch_token(self, assertion: str) -> httpx.Response:
        return await self.client.post("/token", data={"grant_type": GRANT_TYPE, "assertion": assertion})

    async def token(self, scope: str, consent: tuple[Any, str] | None = None) -> str:
        """A token for `scope`; with `consent` (id, ident), one carrying that Altinn 3 consent."""
        key = scope if consent is None else f"{scope} {consent[0]} {consent[1]}"
        if key not in self._tokens:
            extra = None if consent is None else {"authorization_details": consent_details(*consent)}
            response = await self.fetch_token(self.grant(scope, extra=extra))
            assert response.status_code == 200, response.text
            self._tokens[key] = response.json()["access_token"]
        return self._tokens[key]

    async def call(
        self,
        op: Operation,
        values: Mapping[str, Any],
        *,
        token: str | None = "",
        subscription_key: str | None = SUBSCRIPTION_KEY,
        drop_headers: Iterable[str] = (),
    ) -> httpx.Response:
        """Call `op` as the adapter would; token "" means a fresh token for the op's scope."""
        kwargs = nav_request(op, values)
        headers = kwargs["headers"]
        if token == "":
            consent = values.get("consent_id")
            token = await self.token(
                op.scope, None if consent is None else (consent, str(values.get("ident")))
            )
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if subscription_key is not None:
            headers["Ocp-Apim-Subscription-Key"] = subscription_key
        headers["Nav-Call-Id"] = headers["X-Request-Id"] = str(uuid.uuid4())
        headers["Nav-Consumer-Id"] = "sandbox-tests"
        for name in drop_headers:
            headers.pop(name, None)
        return await self.client.request(**kwargs)


@pytest.fixture
async def sandbox(config: SandboxConfig, grant: GrantBuilder) -> AsyncIterator[Sandbox]:
    transport = httpx.ASGITransport(app=create_app(config))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Sandbox(client, grant)
