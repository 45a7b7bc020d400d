"""NAV's APIs, one route per row of the operations table, each checked as NAV's gateway checks.

Order of checks: injected faults, then 401 (no or unknown/expired bearer token), 403 (missing
subscription key where the API needs one, wrong scope, neither an Altinn 2 `NAV-Samtykke-Token`
nor an Altinn 3 consent in the token), 400 (no `X-Request-Id` where the API requires one,
malformed parameters), then 404 or the operation's empty result for an unknown subject, else
200. Where consent is needed, an Altinn 2 token is taken as it is (any non-empty one); an
Altinn 3 consent in the token must be for the API's resource, unexpired, the person's asked
about and cover the period (else 403).
"""

from collections.abc import Awaitable, Callable
from hmac import compare_digest
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nav_lookup_contracts.lookups import LookupBase
from nav_lookup_contracts.operations import CONSENT_HEADER, OPERATIONS, Operation
from nav_sandbox import answers
from nav_sandbox.consents import Altinn3Consent
from nav_sandbox.faults import Faults, error_response
from nav_sandbox.maskinporten import Issued, TokenStore
from nav_sandbox.params import BadParams, read_params, route_path
from nav_sandbox.recorder import Recorder
from nav_sandbox.settings import SandboxConfig

SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key"
REQUEST_ID_HEADER = "X-Request-Id"
_UNAUTHORIZED = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class NavApi:
    def __init__(self, config: SandboxConfig, tokens: TokenStore, faults: Faults, recorder: Recorder) -> None:
        self._config = config
        self._tokens = tokens
        self._faults = faults
        self._recorder = recorder

    def routes(self) -> list[Route]:
        return [
            Route(
                self._config.mount_prefix(op.api.key) + route_path(op),
                self._endpoint(op),
                methods=[op.method],
                name=op.name,
            )
            for op in OPERATIONS
        ]

    def _endpoint(self, op: Operation) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            response = await self._answer(op, request)
            self._recorder.record(op.name, response.status_code, request)
            return response

        return endpoint

    async def _answer(self, op: Operation, request: Request) -> Response:
        if (fault := await self._faults.apply((op.api.key, op.name), request)) is not None:
            return fault
        if (denied := self._deny(op, request)) is not None:
            return denied
        if op.api.request_id_required and not _is_uuid(request.headers.get(REQUEST_ID_HEADER)):
            return error_response(400, f"{REQUEST_ID_HEADER} (a UUID) is required")
        try:
            lookup = read_params(
                op,
                path=request.path_params,
                query=request.query_params,
                headers=request.headers,
                body=await request.body(),
            )
        except BadParams as exc:
            return _error(op, 400, str(exc), "BadRequestException")
        issued = bearer(self._tokens, request)
        if op.needs_consent and not altinn2_consent(request, issued):
            consent = issued.consent if issued is not None else None
            if (refused := consent_refusal(op, consent, lookup, self._tokens.clock())) is not None:
                return refused
        try:
            payload = answers.answer(op, lookup, answers.Caller(self._config.client_tp_ordninger))
        except answers.Refusal as refusal:
            return _error(op, 400, refusal.feil, refusal.kode)
        if payload is None:
            if op.unknown_subject == "not_found":
                return error_response(404, "not found")
            if op.unknown_subject == "forbidden":
                return error_response(403, op.forbidden or "forbidden")
            payload = answers.empty_answer(op, lookup)
        return Response(
            op.result_adapter.dump_json(payload, exclude_none=True), media_type="application/json"
        )

    def _deny(self, op: Operation, request: Request) -> Response | None:
        return deny(
            self._config,
            self._tokens,
            request,
            api_key=op.api.key,
            scopes=op.scopes,
            needs_consent=op.needs_consent,
        )


def _error(op: Operation, status: int, message: str, kode: str) -> Response:
    """An error in the operation's own error body where NAV has one ({feil, kode}), else the
    common one."""
    if op.error_model is None:
        return error_response(status, message)
    body = op.error_model.model_validate({"feil": message, "kode": kode})
    return Response(body.model_dump_json(), status_code=status, media_type="application/json")


def _is_uuid(value: str | None) -> bool:
    try:
        UUID(value or "")
    except ValueError:
        return False
    return True


def deny(
    config: SandboxConfig,
    tokens: TokenStore,
    request: Request,
    *,
    api_key: str,
    scopes: tuple[str, ...],
    needs_consent: bool = False,
) -> Response | None:
    """The gateway's answer to a request it refuses (401 or 403), or None to let it through."""
    issued = bearer(tokens, request)
    if issued is None:
        return error_response(401, "missing, unknown or expired bearer token", _UNAUTHORIZED)
    if api_key in config.subscription_key_apis:
        key = request.headers.get(SUBSCRIPTION_KEY_HEADER, "").encode()
        if not compare_digest(key, config.subscription_key.encode()):
            return error_response(403, "missing or invalid subscription key")
    if not issued.scopes & set(scopes):
        return error_response(403, f"the token lacks scope {' or '.join(scopes)}")
    if needs_consent and issued.consent is None and not altinn2_consent(request, issued):
        return error_response(403, f"neither {CONSENT_HEADER} nor an Altinn 3 consent in the token")
    return None


def altinn2_consent(request: Request, issued: Issued | None) -> bool:
    """The request relies on an Altinn 2 consent token: a non-empty NAV-Samtykke-Token beside a
    token without an Altinn 3 consent. As before Altinn 3, any token is taken for anyone."""
    return bool(request.headers.get(CONSENT_HEADER)) and (issued is None or issued.consent is None)


def bearer(tokens: TokenStore, request: Request) -> Issued | None:
    """The live token the request carries, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return tokens.get(token) if scheme.lower() == "bearer" and token else None


def consent_refusal(
    op: Operation, consent: Altinn3Consent | None, lookup: LookupBase, now: float
) -> Response | None:
    """NAV's 403 when the token's consent does not allow this lookup, as NAV lists the reasons:
    another resource, expired, another person, or a period outside the consent's."""
    if consent is None or consent.resource != op.consent_resource:
        return error_response(403, "the token's consent is not for this API")
    if consent.expired(now):
        return error_response(403, "the consent has expired (validTo)")
    if consent.person != lookup.subject_ident():
        return error_response(403, "the consent is not the person's asked about")
    fom, tom = getattr(lookup, "fom_dato", None), getattr(lookup, "tom_dato", None)
    if not consent.covers(fom, tom):
        return error_response(403, "the period asked for lies outside the consent's fraogmed/tilogmed")
    return None
