"""Wire contracts of the NAV Kafka adapter: pydantic models only, no I/O.

Callers may depend on this package alone to build requests and read replies.
"""

from contracts.ident import Ident, IdentKind, InvalidIdent, check_ident, mask_ident
from contracts.lookups import LOOKUP_REQUEST, LookupBase, LookupRequest
from contracts.operations import OPERATIONS, OPERATIONS_BY_NAME, Api, Operation, Param, Where
from contracts.replies import (
    LOOKUP_REPLY,
    RETRYABLE_CODES,
    ErrorCode,
    ErrorReply,
    LookupReply,
    OkReply,
    ReplyError,
)

__all__ = [
    "LOOKUP_REPLY",
    "LOOKUP_REQUEST",
    "OPERATIONS",
    "OPERATIONS_BY_NAME",
    "RETRYABLE_CODES",
    "Api",
    "ErrorCode",
    "ErrorReply",
    "Ident",
    "IdentKind",
    "InvalidIdent",
    "LookupBase",
    "LookupReply",
    "LookupRequest",
    "OkReply",
    "Operation",
    "Param",
    "ReplyError",
    "Where",
    "check_ident",
    "mask_ident",
]
