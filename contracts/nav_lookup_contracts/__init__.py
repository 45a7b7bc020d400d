"""Wire contracts of the NAV Kafka adapter: pydantic models only, no I/O.

Callers may depend on this package alone to build requests and read replies.
"""

from nav_lookup_contracts.ident import Ident, IdentKind, InvalidIdent, check_ident, mask_ident
from nav_lookup_contracts.lookups import LOOKUP_REQUEST, LookupBase, LookupRequest
from nav_lookup_contracts.operations import OPERATIONS, OPERATIONS_BY_NAME, Api, Operation, Param, Where
from nav_lookup_contracts.replies import (
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
