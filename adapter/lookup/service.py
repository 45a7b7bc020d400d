"""The lookup service: one request message in, its reply (or dead letter) and audit record out.

Read top to bottom, `handle` is the whole story of a request:
  1. the envelope (`envelope.open_envelope`): JSON object, a canonical request_id (failing: dead
     letter, since no reply can be correlated), and the reply's topic: the caller's own, or a
     reply_to on its list (any other reply_to: INVALID_REQUEST on the caller's own topic);
  2. the limits (size, headers, list lengths, no null), then the request's contract, validated
     strictly and in full (failing: INVALID_REQUEST with every problem);
  3. admission (`policy.Admission`): the operation's scope, the caller's right to it, quota,
     consent, deadline; only then the dedupe cache, keyed by (caller, request_id) and the request's
     digest, so one caller's id never answers another and a reused id is refused;
  4. the NAV call, and its result or typed error as the reply (`_failure` is the table from
     exception to error code); a retryable NAV failure moves the request to a retry topic instead.
It never raises: every failure becomes a reply or a dead letter.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from pydantic import ValidationError

from adapter.kafka.records import Incoming, Outgoing
from adapter.lookup import records
from adapter.lookup.envelope import Envelope, Undeliverable, open_envelope
from adapter.lookup.guards import RecentReplies
from adapter.lookup.metrics import LookupMetrics
from adapter.lookup.policy import Admission, LookupPolicy, Refused
from adapter.nav.errors import NavError
from adapter.observability.logs import scrub
from adapter.observability.tracing import annotate
from nav_lookup_contracts.lookups import LOOKUP_REQUEST, LookupBase
from nav_lookup_contracts.operations import Operation, operation_of
from nav_lookup_contracts.replies import RETRYABLE_CODES, ErrorCode
from nav_lookup_contracts.validation import problems

log = logging.getLogger(__name__)

RETRY_SCHEDULED = "RETRY_SCHEDULED"


class NavCaller(Protocol):
    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any: ...


@dataclass(frozen=True)
class _Failure:
    code: ErrorCode
    message: str
    http_status: int | None = None
    nav_code: str | None = None


def _failure(exc: Exception, request_id: UUID) -> _Failure:
    """What the caller is told of a failure: the one table from exception to error code."""
    if isinstance(exc, NavError):
        return _Failure(exc.code, exc.message, exc.http_status, exc.nav_code)
    if isinstance(exc, Refused):
        return _Failure(exc.code, exc.message)
    if isinstance(exc, ValidationError):
        # Locations and messages only: pydantic's default text would echo the input (an ident).
        return _Failure(ErrorCode.INVALID_REQUEST, scrub("; ".join(problems(exc)[:20]))[:2000])
    log.error(
        "unexpected failure in lookup %s", request_id, exc_info=exc, extra={"request_id": str(request_id)}
    )
    return _Failure(ErrorCode.INTERNAL, "internal error in the adapter")


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
        self._context = {"allow_synthetic": policy.allow_synthetic_idents}
        self._admission = Admission(policy, clock=clock, monotonic=monotonic)
        self._recent = RecentReplies(window=policy.dedupe_window_seconds, clock=monotonic)

    async def handle(self, msg: Incoming) -> list[Outgoing]:
        try:
            envelope = open_envelope(msg, self._policy)
        except Undeliverable as dead:
            log.warning(
                "dead letter: %s (topic=%s partition=%d offset=%d)",
                dead.reason,
                msg.topic,
                msg.partition,
                msg.offset,
                extra={"topic": msg.topic, "partition": msg.partition, "offset": msg.offset},
            )
            if self._metrics is not None:
                self._metrics.dead_letter(dead.reason)
            return [records.dead_letter(self._policy.dead_letter_topic, msg, dead.reason)]

        annotate(**{"nav.call_id": str(envelope.request_id)})
        key = records.reply_key(msg, envelope, self._policy.key_secret)
        dedupe_key = (envelope.request_topic, envelope.request_id)
        digest = b""

        request: LookupBase | None = None
        try:
            self._within_limits(msg)
            self._no_long_list_or_null(envelope.body)
            if envelope.reply_to_refused:
                raise Refused(ErrorCode.INVALID_REQUEST, "reply_to not allowed for this caller")
            request = LOOKUP_REQUEST.validate_json(msg.value or b"", strict=True, context=self._context)
            deadline = self._admission.admit(envelope.request_topic, request)
            # Only after this caller's contract and policy checks: a seen id never skips them.
            digest = hashlib.sha256(request.model_dump_json().encode()).digest()
            repeated = self._recent.get(dedupe_key)
            if repeated is not None and repeated.digest == digest:
                log.info(
                    "lookup %s answered again from recent replies, NAV not called",
                    envelope.request_id,
                    extra=self._fields(envelope, msg.topic, "repeated"),
                )
                return [records.reply_record(envelope, key, repeated.reply)]
            if repeated is not None:
                raise Refused(ErrorCode.INVALID_REQUEST, "request_id reused for a different request")
            result = await self._nav.call(operation_of(request), request, deadline=deadline)
            reply, outcome = records.ok_reply(request, result), "ok"
        except Exception as exc:
            if isinstance(exc, NavError) and exc.retryable:
                later = records.retry_record(msg, envelope, request, self._policy.retry_topics, self._clock())
                if later is not None:
                    log.info(
                        "lookup %s moved to %s after: %s",
                        envelope.request_id,
                        later.topic,
                        exc.message,
                        extra=self._fields(envelope, msg.topic, RETRY_SCHEDULED),
                    )
                    return [later, self._audit(envelope, request, RETRY_SCHEDULED, later.key or b"")]
            failure = _failure(exc, envelope.request_id)
            reply = records.error_reply(
                envelope.request_id,
                envelope.operation,
                failure.code,
                failure.message,
                failure.http_status,
                nav_code=failure.nav_code,
            )
            outcome = failure.code.value

        # A retryable failure is worth a fresh attempt when the caller sends the id again; a refused
        # reuse must not replace the reply to the request the id first named.
        remembered = outcome == "ok" or ErrorCode(outcome) not in RETRYABLE_CODES
        if remembered and digest and outcome != ErrorCode.INVALID_REQUEST.value:
            self._recent.put(dedupe_key, digest, reply)
        # Every outcome is on the audit topic and in the metrics; the log keeps what needs a look
        # (its fields are built only when the line is written: an ok lookup's is not, by default).
        level = logging.DEBUG if outcome == "ok" else logging.INFO
        if log.isEnabledFor(level):
            log.log(
                level,
                "lookup %s operation=%s caller=%s outcome=%s",
                envelope.request_id,
                envelope.operation,
                self._policy.caller(msg.topic),
                outcome,
                extra=self._fields(envelope, msg.topic, outcome),
            )
        return [records.reply_record(envelope, key, reply), self._audit(envelope, request, outcome, key)]

    def _fields(self, envelope: Envelope, topic: str, outcome: str) -> dict[str, str | None]:
        """The structured fields of a lookup's log lines."""
        return {
            "request_id": str(envelope.request_id),
            "operation": envelope.operation,
            "caller": self._policy.caller(topic),
            "outcome": outcome,
        }

    def _within_limits(self, msg: Incoming) -> None:
        if len(msg.value or b"") > self._policy.max_request_bytes:
            raise Refused(ErrorCode.INVALID_REQUEST, f"request over {self._policy.max_request_bytes} bytes")
        if len(msg.headers) > self._policy.max_request_headers:
            raise Refused(
                ErrorCode.INVALID_REQUEST, f"request with over {self._policy.max_request_headers} headers"
            )

    def _no_long_list_or_null(self, value: Any) -> None:
        """Before validation, which would check each of a long list's items before its length; and no
        null anywhere, as the schema says (validation itself is strict: no "1" for 1, no true for 1)."""
        bound = self._policy.max_list_items
        pending = [value]
        while pending:
            item = pending.pop()
            if isinstance(item, list) and len(item) > bound:
                raise Refused(ErrorCode.INVALID_REQUEST, f"a list with over {bound} items")
            if item is None:
                # The published schema has no null: an optional field is left out, never null.
                raise Refused(ErrorCode.INVALID_REQUEST, "null is not a value here: leave the field out")
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                pending.extend(item.values())

    def _audit(self, envelope: Envelope, request: LookupBase | None, outcome: str, key: bytes) -> Outgoing:
        if self._metrics is not None:
            self._metrics.lookup_done(records.known(envelope.operation), outcome)
        caller = self._policy.caller(envelope.request_topic) or envelope.request_topic
        return records.audit_record(
            self._policy.audit_topic, caller, envelope, request, outcome, key, self._clock()
        )
