"""Replies: `status: "ok"` with NAV's typed result, or `status: "error"` with a typed error."""

from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import Field, TypeAdapter

from nav_lookup_contracts._wire import WireModel


class ErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    SCOPE_NOT_ALLOWED = "SCOPE_NOT_ALLOWED"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    EXPIRED = "EXPIRED"
    INTERNAL = "INTERNAL"


RETRYABLE_CODES = frozenset({ErrorCode.RATE_LIMITED, ErrorCode.UPSTREAM_UNAVAILABLE, ErrorCode.TIMEOUT})
"""Codes where sending the same request again later may succeed. Not INTERNAL: a fault in the
adapter or in NAV's contract comes back the same on every try, so a caller must not loop on it."""


class ReplyError(WireModel):
    code: ErrorCode
    retryable: bool
    message: str = Field(description="Human-readable; never contains personal data.")
    http_status: int | None = Field(None, description="NAV's HTTP status, where NAV answered.")
    nav_code: str | None = Field(
        None,
        description="NAV's own name for the error, where its answer gives one "
        "(Simuler Alderspensjon: the exception, e.g. UtilstrekkeligOpptjeningException).",
    )


ResultT = TypeVar("ResultT")


class OkReply(WireModel, Generic[ResultT]):
    request_id: UUID
    operation: str
    status: Literal["ok"] = "ok"
    result: ResultT


class ErrorReply(WireModel):
    request_id: UUID | None = Field(None, description="Absent only when the request had none.")
    operation: str | None = None
    status: Literal["error"] = "error"
    error: ReplyError


LookupReply = Annotated[OkReply[Any] | ErrorReply, Field(discriminator="status")]
LOOKUP_REPLY: TypeAdapter[LookupReply] = TypeAdapter(LookupReply)
"""Parse any reply without knowing its operation; `result` stays plain JSON."""
