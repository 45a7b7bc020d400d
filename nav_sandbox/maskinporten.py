"""A Maskinporten stand-in: the JWT-bearer grant (RFC 7523) checked as Maskinporten checks it.

Access tokens are opaque random strings held in memory with their scopes and expiry. Error
answers follow Maskinporten: 400 with `{"error", "error_description"}`, never echoing the grant.
"""

import json
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nav_lookup_contracts.operations import CONSENT_TYPE, PERSON_URN_PREFIX
from nav_sandbox.consents import Altinn3Consent, consent
from nav_sandbox.faults import TOKEN_TARGET, Faults
from nav_sandbox.recorder import Recorder
from nav_sandbox.settings import MAX_GRANT_LIFETIME_SECONDS, SandboxConfig

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ALGORITHMS = ("RS256", "RS384", "RS512")
CLOCK_SKEW_SECONDS = 10
_CLAIMS = frozenset(
    {"aud", "iss", "scope", "iat", "exp", "jti", "resource", "consumer_org", "authorization_details"}
)

GrantErrorCode = Literal["invalid_grant", "invalid_scope", "invalid_request", "invalid_authorization_details"]


class GrantError(Exception):
    def __init__(self, error: GrantErrorCode, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def load_jwks(path: Path | None) -> dict[str, RSAPublicKey]:
    """The client's registered RSA public keys by `kid`, from a JWKS file (none if no file)."""
    if path is None:
        return {}
    keys: dict[str, RSAPublicKey] = {}
    for jwk in json.loads(path.read_text())["keys"]:
        key = RSAAlgorithm.from_jwk(jwk)
        keys[jwk["kid"]] = key.public_key() if isinstance(key, RSAPrivateKey) else key
    return keys


def verify_grant(
    assertion: str,
    *,
    keys: Mapping[str, RSAPublicKey],
    issuer: str,
    client_id: str,
    allowed_scopes: frozenset[str],
    now: float,
) -> dict[str, Any]:
    """The grant's claims if Maskinporten would accept it; GrantError otherwise."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        raise GrantError("invalid_grant", "Invalid assertion. The JWT is malformed.") from None
    if header.get("alg") not in ALGORITHMS:
        raise GrantError("invalid_grant", "Invalid assertion. alg must be RS256, RS384 or RS512.")
    key = keys.get(str(header.get("kid")))
    if key is None:
        raise GrantError("invalid_grant", "Invalid assertion. No registered key has this kid.")
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=[header["alg"]],
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidTokenError:
        raise GrantError("invalid_grant", "Invalid assertion. Signature check failed.") from None
    _check_claims(claims, issuer=issuer, client_id=client_id, now=now)
    scope = claims.get("scope")
    if not isinstance(scope, str) or not scope.split():
        raise GrantError("invalid_scope", "Invalid scope. The grant has no scope.")
    if refused := sorted(set(scope.split()) - allowed_scopes):
        raise GrantError("invalid_scope", f"Invalid scope. Not allowed for the client: {' '.join(refused)}")
    return claims


def _check_claims(claims: Mapping[str, Any], *, issuer: str, client_id: str, now: float) -> None:
    if unknown := sorted(set(claims) - _CLAIMS):
        raise GrantError("invalid_grant", f"Invalid assertion. Unknown claims: {', '.join(unknown)}")
    if claims.get("aud") != issuer:
        raise GrantError("invalid_grant", "Invalid assertion. aud must be the issuer identifier.")
    if claims.get("iss") != client_id:
        raise GrantError("invalid_grant", "Invalid assertion. Client not found (iss).")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int | float) or not isinstance(exp, int | float):
        raise GrantError("invalid_grant", "Invalid assertion. iat and exp are required numbers.")
    if abs(iat - now) > CLOCK_SKEW_SECONDS:
        # The distance is said so that a refusal under a loaded event loop can be told from a
        # wrong clock: a grant signed, then held up before it was checked, is seconds old.
        raise GrantError(
            "invalid_grant",
            f"Invalid assertion. iat is {now - iat:+.1f} s from now, not within {CLOCK_SKEW_SECONDS} s.",
        )
    if exp <= now:
        raise GrantError("invalid_grant", "Invalid assertion. The JWT has expired.")
    if exp - iat > MAX_GRANT_LIFETIME_SECONDS:
        raise GrantError("invalid_grant", "Invalid assertion. exp - iat exceeds 120 seconds.")


_BAD_DETAILS: GrantErrorCode = "invalid_authorization_details"


def granted_consent(claims: Mapping[str, Any]) -> Altinn3Consent | None:
    """The Altinn 3 consent a grant's `authorization_details` asks for (None if it asks for
    none); GrantError if the request is malformed or names no consent Altinn has."""
    details = claims.get("authorization_details")
    if details is None:
        return None
    if not isinstance(details, list) or len(details) != 1 or not isinstance(details[0], dict):
        raise GrantError(_BAD_DETAILS, "authorization_details must be one object.")
    detail = details[0]
    if detail.get("type") != CONSENT_TYPE:
        raise GrantError(
            "invalid_authorization_details", f"authorization_details.type must be {CONSENT_TYPE}."
        )
    person = detail.get("from")
    if not isinstance(person, str) or not person.startswith(PERSON_URN_PREFIX):
        raise GrantError(
            "invalid_authorization_details", f"authorization_details.from must be {PERSON_URN_PREFIX}…"
        )
    try:
        found = consent(uuid.UUID(str(detail.get("id"))))
    except ValueError:
        found = None
    if found is None:
        raise GrantError(_BAD_DETAILS, "No such consent.")
    return found


@dataclass(frozen=True)
class Issued:
    scope: str
    scopes: frozenset[str]
    expires_at: float
    consent: Altinn3Consent | None = None
    """The consent the token carries, as Altinn has it (its own person and period)."""


class TokenStore:
    """Issued access tokens and used grant ids, in memory."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.fetches: Counter[str] = Counter()
        self.consent_fetches: Counter[str] = Counter()
        self._tokens: dict[str, Issued] = {}
        self._jtis: dict[str, float] = {}

    def issue(self, scope: str, lifetime: int, consent: Altinn3Consent | None = None) -> str:
        now = self.clock()
        self._tokens = {t: i for t, i in self._tokens.items() if i.expires_at > now}
        token = secrets.token_urlsafe(32)
        self._tokens[token] = Issued(scope, frozenset(scope.split()), now + lifetime, consent)
        self.fetches[scope] += 1
        if consent is not None:
            self.consent_fetches[str(consent.id)] += 1
        return token

    def get(self, token: str) -> Issued | None:
        issued = self._tokens.get(token)
        return issued if issued is not None and issued.expires_at > self.clock() else None

    def use_jti(self, jti: str, until: float) -> bool:
        """Remember a grant id until its grant expires; False if it was used before."""
        now = self.clock()
        self._jtis = {j: t for j, t in self._jtis.items() if t >= now}
        if jti in self._jtis:
            return False
        self._jtis[jti] = until
        return True

    def expire_all(self) -> int:
        expired = len(self._tokens)
        self._tokens.clear()
        return expired

    def reset(self) -> None:
        self._tokens.clear()
        self._jtis.clear()
        self.fetches.clear()
        self.consent_fetches.clear()


def _error(error: GrantErrorCode, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


class Maskinporten:
    def __init__(
        self,
        config: SandboxConfig,
        keys: Mapping[str, RSAPublicKey],
        tokens: TokenStore,
        faults: Faults,
        recorder: Recorder,
    ) -> None:
        self._config = config
        self._keys = keys
        self._tokens = tokens
        self._faults = faults
        self._recorder = recorder

    def routes(self) -> list[Route]:
        return [
            Route("/token", self.token, methods=["POST"], name="token"),
            Route("/.well-known/oauth-authorization-server", self.well_known, methods=["GET"]),
        ]

    def _issuer(self, request: Request) -> str:
        return self._config.issuer or str(request.base_url)

    async def well_known(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self._issuer(request),
                "token_endpoint": str(request.url_for("token")),
                "grant_types_supported": [GRANT_TYPE],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            }
        )

    async def token(self, request: Request) -> Response:
        response = await self._faults.apply((TOKEN_TARGET,), request)
        if response is None:
            response = await self._grant(request)
        self._recorder.record("token", response.status_code, request)
        return response

    async def _grant(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error("invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
        form = parse_qs((await request.body()).decode("latin-1"))
        if form.get("grant_type") != [GRANT_TYPE]:
            return _error("invalid_request", f"grant_type must be {GRANT_TYPE}.")
        if len(assertion := form.get("assertion", [])) != 1:
            return _error("invalid_request", "Exactly one assertion is required.")
        try:
            claims = verify_grant(
                assertion[0],
                keys=self._keys,
                issuer=self._issuer(request),
                client_id=self._config.client_id,
                allowed_scopes=self._config.allowed_scopes,
                now=self._tokens.clock(),
            )
            consent_asked = granted_consent(claims)
        except GrantError as exc:
            return _error(exc.error, exc.description)
        jti = claims.get("jti")
        if jti is not None and not self._tokens.use_jti(str(jti), float(claims["exp"])):
            return _error("invalid_grant", "Invalid assertion. Grant is used before (jti).")
        lifetime = self._config.token_lifetime_seconds
        body: dict[str, Any] = {
            "access_token": self._tokens.issue(claims["scope"], lifetime, consent_asked),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": claims["scope"],
        }
        if consent_asked is not None:
            # Maskinporten's token carries the consent; the opaque sandbox token shows it here too.
            body["authorization_details"] = consent_asked.authorization_details()
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
