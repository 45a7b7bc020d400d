"""Pure translation between a lookup request and NAV's HTTP exchange, driven by the table.

`build_call` turns a validated request into method, path, query, headers and body;
`nav_headers` are the headers every NAV call carries, lookups and feeds alike;
`interpret` turns NAV's status and body into a typed result or a `NavError`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel, SecretStr, ValidationError

from adapter.nav.consent_tokens import Consent
from adapter.nav.errors import contract_error, error_for_status
from nav_lookup_contracts.lookups import LookupBase
from nav_lookup_contracts.operations import Operation


@dataclass(frozen=True)
class NavCall:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes | None
    consent: Consent | None = None
    """The Altinn 3 consent the bearer token must carry, where the request names one; an
    Altinn 2 consent token travels in `headers` (NAV-Samtykke-Token) beside the scope token."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_call(op: Operation, request: LookupBase) -> NavCall:
    placed = op.place({param.field: getattr(request, param.field) for param in op.params}, _text)
    headers = dict(placed.headers)
    body: bytes | None = None
    if placed.body is not None:
        assert isinstance(placed.body, BaseModel)
        body = orjson.dumps(placed.body.model_dump(mode="json", exclude_none=True))
        headers["Content-Type"] = "application/json"
    consent = None
    consent_id = getattr(request, "consent_id", None)
    ident = request.subject_ident()
    if op.needs_consent and isinstance(consent_id, UUID) and ident is not None:
        consent = Consent(consent_id, ident)
    return NavCall(op.method, placed.path, placed.query, headers, body, consent)


def nav_headers(call_id: str, consumer_id: str, subscription_key: SecretStr | None) -> dict[str, str]:
    """The headers every NAV call carries (the token aside); the key only where the API wants one."""
    headers = {
        "Nav-Call-Id": call_id,
        "X-Request-Id": call_id,
        "Nav-Consumer-Id": consumer_id,
        "Accept": "application/json",
    }
    if subscription_key is not None:
        headers["Ocp-Apim-Subscription-Key"] = subscription_key.get_secret_value()
    return headers


def interpret(op: Operation, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """NAV's answer as the operation's typed result, or the NavError it stands for."""
    if not 200 <= status < 300:
        raise error_for_status(
            op.name, status, headers, body=body, error_model=op.error_model, forbidden=op.forbidden
        )
    try:
        return op.result_adapter.validate_json(body)
    except ValidationError as exc:
        raise contract_error(op.name, exc, status) from None
