"""Pure translation between a lookup request and NAV's HTTP exchange, driven by the table.

`build_call` turns a validated request into method, path, query, headers and body;
`interpret` turns NAV's status and body into a typed result or a `NavError`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
from pydantic import BaseModel, SecretStr, ValidationError

from adapter.nav.errors import NavContractError, NavRejected, NavUnavailable
from contracts.lookups import LookupBase
from contracts.operations import Operation, Where
from contracts.replies import ErrorCode


@dataclass(frozen=True)
class NavCall:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes | None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_call(op: Operation, request: LookupBase) -> NavCall:
    path_values: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body: bytes | None = None
    for param in op.params:
        value = getattr(request, param.field)
        if value is None or value == []:
            continue
        if param.where is Where.PATH:
            path_values[param.wire] = _text(value)
        elif param.where is Where.QUERY:
            values = value if isinstance(value, list) else [value]
            query.extend((param.wire, _text(v)) for v in values)
        elif param.where is Where.HEADER:
            headers[param.wire] = _text(value)
        else:
            assert isinstance(value, BaseModel)
            body = orjson.dumps(value.model_dump(mode="json", exclude_none=True))
            headers["Content-Type"] = "application/json"
    return NavCall(op.method, op.path.format_map(path_values), tuple(query), headers, body)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - datetime.now().timestamp())
    except (TypeError, ValueError):
        return None


_REJECTIONS = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
}


def interpret(op: Operation, status: int, headers: Mapping[str, str], body: bytes) -> Any:
    """NAV's answer as the operation's typed result, or the NavError it stands for."""
    if 200 <= status < 300:
        try:
            return op.result_adapter.validate_json(body)
        except ValidationError as exc:
            # Only locations and error types: a NAV body may hold personal data.
            where = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:5])
            raise NavContractError(
                f"{op.name}: NAV's answer does not match the contract at {where}",
                http_status=status,
            ) from None
    if status == 429:
        raise NavUnavailable(
            ErrorCode.RATE_LIMITED,
            f"{op.name}: NAV is rate limiting (429)",
            http_status=status,
            retry_after=retry_after_seconds(headers),
        )
    if status >= 500:
        raise NavUnavailable(
            ErrorCode.UPSTREAM_UNAVAILABLE,
            f"{op.name}: NAV answered {status}",
            http_status=status,
            retry_after=retry_after_seconds(headers),
        )
    code = _REJECTIONS.get(status, ErrorCode.INVALID_REQUEST)
    raise NavRejected(code, f"{op.name}: NAV answered {status}", http_status=status)
