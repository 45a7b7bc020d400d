"""What a raw request message must hold before anything can be answered: a JSON object, a
`request_id` to correlate the reply with, a usable reply address, and (on a retry topic) the
caller it came from. A message without these is `Undeliverable`: it goes to the dead-letter topic.
"""

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from contracts import headers as h
from contracts.lookups import TOPIC_NAME_PATTERN

_TOPIC_NAME = re.compile(TOPIC_NAME_PATTERN)


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
    reply_to = body.get("reply_to")
    refused = False
    if reply_to is None:
        reply_topic = policy.reply_topic
    elif isinstance(reply_to, str) and _TOPIC_NAME.fullmatch(reply_to):
        refused = not policy.reply_to_allowed(reply_to)
        reply_topic = policy.reply_topic if refused else reply_to
    else:
        raise Undeliverable("reply_to is not a usable topic name")
    request_topic, attempt = _origin(msg, policy)
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
