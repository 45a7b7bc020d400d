"""Reading an operation's parameters from an HTTP request, as the operations table places them.

The values are validated by the operation's own request model (with synthetic idents allowed),
so the sandbox rejects exactly what the contract says NAV rejects.
"""

import re
from collections.abc import Mapping
from typing import Any, get_origin
from uuid import UUID

import orjson
from pydantic import ValidationError
from starlette.datastructures import Headers, QueryParams

from nav_lookup_contracts.lookups import LookupBase
from nav_lookup_contracts.operations import Operation, Where
from nav_lookup_contracts.validation import problems

_PLACEHOLDER = re.compile(r"{(\w+)}")
_CONVERTORS: Mapping[Any, str] = {int: "int", float: "float"}
_NO_CALL_ID = UUID(int=0)


class BadParams(ValueError):
    """A request NAV would answer with 400; the message names parameters, never their values."""


def _field_type(op: Operation, field: str) -> Any:
    return op.request_model.model_fields[field].annotation


def route_path(op: Operation) -> str:
    """`op.path` with each `{wire}` typed as a Starlette convertor, e.g. `{unntakId:int}`."""
    fields = {p.wire: p.field for p in op.params if p.where is Where.PATH}

    def typed(match: re.Match[str]) -> str:
        convertor = _CONVERTORS.get(_field_type(op, fields[match[1]]))
        return f"{{{match[1]}:{convertor}}}" if convertor else match[0]

    return _PLACEHOLDER.sub(typed, op.path)


def read_params(
    op: Operation,
    *,
    path: Mapping[str, Any],
    query: QueryParams,
    headers: Headers,
    body: bytes,
) -> LookupBase:
    """The operation's request model, built from where the table says each parameter travels."""
    raw: dict[str, Any] = {"request_id": _NO_CALL_ID, "operation": op.name, "scope": op.scope}
    for param in op.params:
        if param.where is Where.PATH:
            raw[param.field] = path[param.wire]
        elif param.where is Where.QUERY:
            values = query.getlist(param.wire)
            if get_origin(_field_type(op, param.field)) is list:
                raw[param.field] = values
            elif values:
                raw[param.field] = values[-1]
        elif param.where is Where.HEADER:
            if (value := headers.get(param.wire)) is not None:
                raw[param.field] = value
        elif body:
            try:
                raw[param.field] = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise BadParams("the request body is not JSON") from None
    try:
        return op.request_model.model_validate(raw, context={"allow_synthetic": True})
    except ValidationError as exc:
        raise BadParams(_describe(op, exc)) from None


def _describe(op: Operation, exc: ValidationError) -> str:
    """The problems named as the caller sent them: a body field as `body`, a parameter by its wire name."""
    wires = {p.field: "body" if p.where is Where.BODY else p.wire for p in op.params}
    return "; ".join(problems(exc, empty_location="?", rename=wires)[:10])
