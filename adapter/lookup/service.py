"""The lookup service: one request message in, its reply (or dead letter) and audit record out.

Read top to bottom, `handle` is the whole story of a request:
  1. preconditions on the raw message: JSON object, a request_id, a usable reply address
     (failing any of these: dead letter, since no reply can be correlated or delivered);
  2. the request's contract, validated in full (failing: INVALID_REQUEST with every problem);
  3. policy: the operation's scope, the caller's right to it, consent, deadline;
  4. the NAV call, and its result or typed error as the reply.
It never raises: every failure becomes a reply or a dead letter.
"""

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

import orjson
from pydantic import ValidationError

from adapter.logs import scrub
from adapter.lookup.guards import CallerQuota, RecentReplies
from adapter.lookup.messages import Incoming, Outgoing
from adapter.nav.errors import NavError
from adapter.observability.metrics import LookupMetrics
from adapter.observability.tracing import annotate, trace_headers
from contracts import headers as h
from contracts.ident import mask_ident
from contracts.lookups import LOOKUP_REQUEST, TOPIC_NAME_PATTERN, LookupBase
from contracts.operations import OPERATIONS_BY_NAME, Operation, operation_of
from contracts.replies import RETRYABLE_CODES, ErrorCode, ErrorReply, ReplyError

log = logging.getLogger(__name__)

_TOPIC_NAME = re.compile(TOPIC_NAME_PATTERN)


class NavCaller(Protocol):
    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any: ...


@dataclass(frozen=True)
class LookupPolicy:
    """Who may ask for what, and where answers go."""

    scopes_by_request_topic: Mapping[str, frozenset[str]]
    caller_by_request_topic: Mapping[str, str]
    reply_topic: str
    dead_letter_topic: str
    audit_topic: str
    allow_synthetic_idents: bool = False
    key_secret: bytes | None = None
    """When set, reply and audit keys are HMAC-SHA256(secret, ident) instead of the request's key."""
    dedupe_window_seconds: float = 300.0
    quotas_per_second: Mapping[str, float] = field(default_factory=dict)
    """Caller name -> lookups a second; callers not named are not limited."""
    retry_topics: tuple[tuple[str, float], ...] = ()
    """(topic, delay in seconds) for each delayed retry after NAV stayed unavailable."""


class Refused(Exception):
    """The adapter itself answers the request with an error, without calling NAV."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def seconds_until_due(msg: Incoming, clock: Callable[[], float] = time.time) -> float:
    """How long a delayed retry must still wait; 0 for anything else."""
    raw = dict(msg.headers).get(h.RETRY_NOT_BEFORE)
    try:
        return max(0.0, float(raw) - clock()) if raw is not None else 0.0
    except ValueError:
        return 0.0


class _DeadLetter(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _validation_report(exc: ValidationError) -> str:
    # Locations and messages only: pydantic's default text would echo the input (an ident).
    problems = [
        f"{'.'.join(map(str, e['loc'])) or '(message)'}: {e['msg']}"
        for e in exc.errors(include_input=False, include_url=False, include_context=False)
    ]
    return scrub("; ".join(problems[:20]))[:2000]


class LookupService:
    def __init__(
        self,
        *,
        nav: NavCaller,
        policy: LookupPolicy,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        metrics: LookupMetrics | None = None,
    ) -> None:
        self._nav = nav
        self._metrics = metrics
        self._policy = policy
        self._clock = clock
        self._monotonic = monotonic
        self._context = {"allow_synthetic": policy.allow_synthetic_idents}
        self._recent = RecentReplies(window=policy.dedupe_window_seconds, clock=monotonic)
        self._quotas = {
            caller: CallerQuota(rate=rate, clock=monotonic)
            for caller, rate in policy.quotas_per_second.items()
        }

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        try:
            request_id, reply_topic, body = self._preconditions(msg)
            caller_topic, attempt = self._origin(msg)
        except _DeadLetter as dead:
            log.warning(
                "dead letter: %s (topic=%s partition=%d offset=%d)",
                dead.reason,
                msg.topic,
                msg.partition,
                msg.offset,
            )
            if self._metrics is not None:
                self._metrics.dead_letter(dead.reason)
            return [self._dead_letter(msg, dead.reason)]

        operation = body.get("operation") if isinstance(body.get("operation"), str) else None
        annotate(**{"nav.call_id": str(request_id)})
        request: LookupBase | None = None
        repeated = self._recent.get(request_id)
        if repeated is not None:
            log.info("lookup %s answered again from recent replies, NAV not called", request_id)
            return [
                Outgoing(
                    reply_topic,
                    self._reply_key(msg, request_id, body),
                    repeated,
                    self._reply_headers(request_id, operation),
                )
            ]
        try:
            request = LOOKUP_REQUEST.validate_python(body, context=self._context)
            result = await self._lookup(caller_topic, request)
            reply = self._ok(request, result)
            outcome = "ok"
        except NavError as exc:
            later = self._retry_later(msg, caller_topic, attempt, request) if exc.retryable else None
            if later is not None:
                log.info("lookup %s moved to %s after: %s", request_id, later.topic, exc.message)
                if self._metrics is not None:
                    self._metrics.lookup_done(operation, "RETRY_SCHEDULED")
                return [
                    later,
                    self._audit(
                        caller_topic, request_id, operation, request, "RETRY_SCHEDULED", later.key or b""
                    ),
                ]
            reply = self._error(request_id, operation, exc.code, exc.message, exc.http_status)
            outcome = exc.code.value
        except Refused as exc:
            reply = self._error(request_id, operation, exc.code, exc.message, None)
            outcome = exc.code.value
        except ValidationError as exc:
            code = ErrorCode.INVALID_REQUEST
            reply = self._error(request_id, operation, code, _validation_report(exc), None)
            outcome = code.value
        except Exception:
            log.exception("unexpected failure in lookup %s", request_id)
            code = ErrorCode.INTERNAL
            reply = self._error(request_id, operation, code, "internal error in the adapter", None)
            outcome = code.value

        if outcome == "ok" or ErrorCode(outcome) not in RETRYABLE_CODES:
            # A retryable failure is worth a fresh attempt when the caller sends the id again.
            self._recent.put(request_id, reply)
        key = self._reply_key(msg, request_id, body)
        headers = self._reply_headers(request_id, operation)
        if self._metrics is not None:
            self._metrics.lookup_done(operation if operation in OPERATIONS_BY_NAME else None, outcome)
        # Every outcome is on the audit topic and in the metrics; the log keeps what needs a look.
        log.log(
            logging.DEBUG if outcome == "ok" else logging.INFO,
            "lookup %s operation=%s caller=%s outcome=%s",
            request_id,
            operation,
            self._policy.caller_by_request_topic.get(msg.topic),
            outcome,
        )
        return [
            Outgoing(reply_topic, key, reply, headers),
            self._audit(caller_topic, request_id, operation, request, outcome, key),
        ]

    def _reply_key(self, msg: Incoming, request_id: UUID, body: dict[str, Any]) -> bytes:
        ident = _ident_in(body)
        if self._policy.key_secret is not None and ident is not None:
            return hmac.new(self._policy.key_secret, ident.encode(), hashlib.sha256).hexdigest().encode()
        return msg.key if msg.key is not None else str(request_id).encode()

    @staticmethod
    def _reply_headers(request_id: UUID, operation: str | None) -> list[tuple[str, bytes]]:
        return [
            (h.CORRELATION_ID, str(request_id).encode()),
            (h.OPERATION, (operation or "").encode()),
            ("content-type", b"application/json"),
            *trace_headers(),
        ]

    def _preconditions(self, msg: Incoming) -> tuple[UUID, str, dict[str, Any]]:
        if msg.value is None:
            raise _DeadLetter("empty message (tombstone)")
        try:
            body = orjson.loads(msg.value)
        except orjson.JSONDecodeError:
            raise _DeadLetter("not JSON") from None
        if not isinstance(body, dict):
            raise _DeadLetter("not a JSON object")
        try:
            request_id = UUID(str(body.get("request_id")))
        except ValueError:
            raise _DeadLetter("no usable request_id: a reply could not be correlated") from None
        reply_to = body.get("reply_to")
        if reply_to is None:
            return request_id, self._policy.reply_topic, body
        if not isinstance(reply_to, str) or not _TOPIC_NAME.fullmatch(reply_to):
            raise _DeadLetter("reply_to is not a usable topic name")
        return request_id, reply_to, body

    def _origin(self, msg: Incoming) -> tuple[str, int]:
        """The caller's request topic and the number of delayed retries so far."""
        if msg.topic not in {topic for topic, _ in self._policy.retry_topics}:
            return msg.topic, 0
        headers = dict(msg.headers)
        source = headers.get(h.RETRY_SOURCE_TOPIC, b"").decode(errors="replace")
        if source not in self._policy.scopes_by_request_topic:
            raise _DeadLetter("retry record without a known source topic")
        try:
            return source, int(headers.get(h.RETRY_ATTEMPT, b""))
        except ValueError:
            raise _DeadLetter("retry record without a valid attempt count") from None

    def _retry_later(
        self, msg: Incoming, caller_topic: str, attempt: int, request: LookupBase | None
    ) -> Outgoing | None:
        if request is None or attempt >= len(self._policy.retry_topics):
            return None
        topic, delay = self._policy.retry_topics[attempt]
        not_before = self._clock() + delay
        if request.deadline is not None and request.deadline.timestamp() <= not_before:
            return None  # no time left for another try: answer with the error now
        ours = {h.RETRY_ATTEMPT, h.RETRY_SOURCE_TOPIC, h.RETRY_NOT_BEFORE}
        headers = [
            *((k, v) for k, v in msg.headers if k not in ours),
            (h.RETRY_ATTEMPT, str(attempt + 1).encode()),
            (h.RETRY_SOURCE_TOPIC, caller_topic.encode()),
            (h.RETRY_NOT_BEFORE, f"{not_before:.3f}".encode()),
        ]
        return Outgoing(topic, msg.key, msg.value or b"", headers)

    async def _lookup(self, request_topic: str, request: LookupBase) -> Any:
        op = operation_of(request)
        if request.scope != op.scope:
            raise Refused(ErrorCode.INVALID_REQUEST, f"scope must be {op.scope} for {op.name}")
        if request.scope not in self._policy.scopes_by_request_topic.get(request_topic, ()):
            raise Refused(ErrorCode.SCOPE_NOT_ALLOWED, f"this caller may not use scope {request.scope}")
        quota = self._quotas.get(self._policy.caller_by_request_topic.get(request_topic, ""))
        if quota is not None and not quota.take():
            raise Refused(ErrorCode.RATE_LIMITED, "this caller's lookup quota is used up; try again shortly")
        if op.needs_consent and getattr(request, "consent_token", None) is None:
            raise Refused(ErrorCode.CONSENT_REQUIRED, f"{op.name} needs the person's consent token")
        deadline = None
        if request.deadline is not None:
            left = request.deadline.timestamp() - self._clock()
            if left <= 0:
                raise Refused(ErrorCode.EXPIRED, "deadline passed before NAV was called")
            deadline = self._monotonic() + left
        return await self._nav.call(op, request, deadline=deadline)

    def _ok(self, request: LookupBase, result: Any) -> bytes:
        op = operation_of(request)
        reply = op.reply_model(request_id=request.request_id, operation=op.name, result=result)
        return reply.model_dump_json(exclude_none=True).encode()

    def _error(
        self,
        request_id: UUID,
        operation: str | None,
        code: ErrorCode,
        message: str,
        http_status: int | None,
    ) -> bytes:
        known_operation = operation if operation in OPERATIONS_BY_NAME else None
        reply = ErrorReply(
            request_id=request_id,
            operation=known_operation,
            error=ReplyError(
                code=code,
                retryable=code in RETRYABLE_CODES,
                message=scrub(message),
                http_status=http_status,
            ),
        )
        return reply.model_dump_json(exclude_none=True).encode()

    def _dead_letter(self, msg: Incoming, reason: str) -> Outgoing:
        headers = [
            *msg.headers,
            (h.DLQ_REASON, reason.encode()),
            (h.DLQ_SOURCE_TOPIC, msg.topic.encode()),
            (h.DLQ_SOURCE_PARTITION, str(msg.partition).encode()),
            (h.DLQ_SOURCE_OFFSET, str(msg.offset).encode()),
        ]
        return Outgoing(self._policy.dead_letter_topic, msg.key, msg.value or b"", headers)

    def _audit(
        self,
        request_topic: str,
        request_id: UUID,
        operation: str | None,
        request: LookupBase | None,
        outcome: str,
        key: bytes,
    ) -> Outgoing:
        ident = request.subject_ident() if request is not None else None
        record = {
            "caller": self._policy.caller_by_request_topic.get(request_topic, request_topic),
            "operation": operation if operation in OPERATIONS_BY_NAME else None,
            "masked_ident": mask_ident(ident) if ident else None,
            "request_id": str(request_id),
            "outcome": outcome,
            "time": datetime.fromtimestamp(self._clock(), UTC).isoformat(),
        }
        return Outgoing(self._policy.audit_topic, key, orjson.dumps(record), [])


def _ident_in(body: dict[str, Any]) -> str | None:
    ident = body.get("ident")
    if ident is None and isinstance(body.get("simulering"), dict):
        ident = body["simulering"].get("fnr")
    return ident if isinstance(ident, str) else None
