"""What a raw request message must hold before anything can be answered: a JSON object, a
`request_id` to correlate the reply with and (on a retry topic) the caller it came from; its reply
goes to the caller's own reply topic unless `reply_to` names one the caller may write to. A
message without the first two is `Undeliverable`: it goes to the dead-letter topic.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from nav_lookup_contracts import headers as h


class Undeliverable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Envelope:
    request_id: UUID
    reply_topic: str
    body: dict[str, Any]
    request_topic: str
    """The caller's own request topic, also for a request on a retry topic."""
    attempt: int
    """Delayed retries so far."""
    reply_to_refused: bool = False
    """reply_to named a topic this caller may not write to: answered on the default reply topic."""

    @property
    def operation(self) -> str | None:
        operation = self.body.get("operation")
        return operation if isinstance(operation, str) else None

    def ident(self) -> str | None:
        """The person's ident as sent, before validation (for the record key)."""
        ident = self.body.get("ident")
        if ident is None and isinstance(self.body.get("simulering"), dict):
            ident = self.body["simulering"].get("fnr")
        return ident if isinstance(ident, str) else None


def open_envelope(msg: Incoming, policy: LookupPolicy) -> Envelope:
    if msg.value is None:
        raise Undeliverable("empty message (tombstone)")
    try:
        body = orjson.loads(msg.value)
    except orjson.JSONDecodeError:
        raise Undeliverable("not JSON") from None
    if not isinstance(body, dict):
        raise Undeliverable("not a JSON object")
    try:
        request_id = UUID(str(body.get("request_id")))
    except ValueError:
        raise Undeliverable("no usable request_id: a reply could not be correlated") from None
    if body.get("request_id") != str(request_id):
        # The reply carries the canonical spelling; under another one the caller could not match it.
        raise Undeliverable("request_id is not a canonical UUID (lower case, with dashes)")
    request_topic, attempt = _origin(msg, policy)
    # A reply_to this caller may not name (not a topic, someone else's, the adapter's own) is
    # answered on its own reply topic, so even a crafted address ends as a reply, never a stall.
    reply_topic = policy.replies.default_for(request_topic)
    reply_to = body.get("reply_to")
    refused = reply_to is not None and not (
        isinstance(reply_to, str) and policy.replies.allows(request_topic, reply_to)
    )
    if reply_to is not None and not refused:
        reply_topic = reply_to
    return Envelope(request_id, reply_topic, body, request_topic, attempt, refused)


def _origin(msg: Incoming, policy: LookupPolicy) -> tuple[str, int]:
    """The caller's request topic and the number of delayed retries so far."""
    if msg.topic not in {topic for topic, _ in policy.retry_topics}:
        return msg.topic, 0
    headers = dict(msg.headers)
    source = headers.get(h.RETRY_SOURCE_TOPIC, b"").decode(errors="replace")
    if source not in policy.scopes_by_request_topic:
        raise Undeliverable("retry record without a known source topic")
    try:
        return source, int(headers.get(h.RETRY_ATTEMPT, b""))
    except ValueError:
        raise Undeliverable("retry record without a valid attempt count") from None
