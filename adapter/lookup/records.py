"""The records a lookup writes, built purely: its reply, its audit record, a dead letter, or the
request again on a retry topic."""

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson

from adapter.kafka.keys import person_key
from adapter.kafka.records import Incoming, Outgoing
from adapter.lookup.envelope import Envelope
from adapter.observability.logs import scrub
from adapter.observability.tracing import trace_headers
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.audit import AuditRecord
from nav_lookup_contracts.ident import mask_ident
from nav_lookup_contracts.lookups import LookupBase
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME, operation_of
from nav_lookup_contracts.replies import RETRYABLE_CODES, ErrorCode, ErrorReply, ReplyError


def known(operation: str | None) -> str | None:
    """The operation's name if it is one of the table's, else None."""
    return operation if operation in OPERATIONS_BY_NAME else None


def ok_reply(request: LookupBase, result: Any) -> bytes:
    op = operation_of(request)
    reply = op.reply_model(request_id=request.request_id, operation=op.name, result=result)
    return reply.model_dump_json(exclude_none=True).encode()


def error_reply(
    request_id: UUID,
    operation: str | None,
    code: ErrorCode,
    message: str,
    http_status: int | None,
    *,
    nav_code: str | None = None,
) -> bytes:
    reply = ErrorReply(
        request_id=request_id,
        operation=known(operation),
        error=ReplyError(
            code=code,
            retryable=code in RETRYABLE_CODES,
            message=scrub(message),
            http_status=http_status,
            nav_code=nav_code,
        ),
    )
    return reply.model_dump_json(exclude_none=True).encode()


def reply_key(msg: Incoming, envelope: Envelope, secret: bytes | None) -> bytes:
    ident = envelope.ident()
    if secret is not None and ident is not None:
        return person_key(ident, secret)
    return msg.key if msg.key is not None else str(envelope.request_id).encode()


def reply_record(envelope: Envelope, key: bytes, value: bytes) -> Outgoing:
    headers = [
        (h.CORRELATION_ID, str(envelope.request_id).encode()),
        (h.OPERATION, (envelope.operation or "").encode()),
        ("content-type", b"application/json"),
        *trace_headers(),
    ]
    return Outgoing(envelope.reply_topic, key, value, headers)


def audit_record(
    topic: str,
    caller: str,
    envelope: Envelope,
    request: LookupBase | None,
    outcome: str,
    key: bytes,
    now: float,
) -> Outgoing:
    ident = request.subject_ident() if request is not None else None
    record = AuditRecord(
        caller=caller,
        operation=known(envelope.operation),
        masked_ident=mask_ident(ident) if ident else None,
        request_id=envelope.request_id,
        outcome=outcome,
        time=datetime.fromtimestamp(now, UTC),
    )
    return Outgoing(topic, key, orjson.dumps(record.model_dump()), [])


def dead_letter(topic: str, msg: Incoming, reason: str) -> Outgoing:
    headers = [
        *msg.headers,
        (h.DLQ_REASON, reason.encode()),
        (h.DLQ_SOURCE_TOPIC, msg.topic.encode()),
        (h.DLQ_SOURCE_PARTITION, str(msg.partition).encode()),
        (h.DLQ_SOURCE_OFFSET, str(msg.offset).encode()),
    ]
    return Outgoing(topic, msg.key, msg.value or b"", headers)


_RETRY_HEADERS = frozenset({h.RETRY_ATTEMPT, h.RETRY_SOURCE_TOPIC, h.RETRY_NOT_BEFORE})


def retry_record(
    msg: Incoming,
    envelope: Envelope,
    request: LookupBase | None,
    retry_topics: Sequence[tuple[str, float]],
    now: float,
) -> Outgoing | None:
    """The request on its next retry topic, or None when no retry is left or no time for one."""
    if request is None or envelope.attempt >= len(retry_topics):
        return None
    topic, delay = retry_topics[envelope.attempt]
    not_before = now + delay
    if request.deadline is not None and request.deadline.timestamp() <= not_before:
        return None  # no time left for another try: answer with the error now
    headers = [
        *((k, v) for k, v in msg.headers if k not in _RETRY_HEADERS),
        (h.RETRY_ATTEMPT, str(envelope.attempt + 1).encode()),
        (h.RETRY_SOURCE_TOPIC, envelope.request_topic.encode()),
        (h.RETRY_NOT_BEFORE, f"{not_before:.3f}".encode()),
    ]
    return Outgoing(topic, msg.key, msg.value or b"", headers)


def seconds_until_due(msg: Incoming, clock: Callable[[], float] = time.time) -> float:
    """How long a delayed retry must still wait; 0 for anything else."""
    raw = dict(msg.headers).get(h.RETRY_NOT_BEFORE)
    try:
        return max(0.0, float(raw) - clock()) if raw is not None else 0.0
    except ValueError:
        return 0.0
