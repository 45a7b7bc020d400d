"""Kafka topic names of the lookups and the event bridge, as deployed by default.

A caller writes to its own request topic and reads its replies from its own reply topic (or the
topic it names in `reply_to`, where the adapter's configuration allows it).
"""

REQUEST_TOPIC_PREFIX = "nav.lookup.v1.requests."
REPLY_TOPIC_PREFIX = "nav.lookup.v1.replies."
DEAD_LETTER_TOPIC = "nav.lookup.v1.dlq"
AUDIT_TOPIC = "nav.lookup.v1.audit"
RETRY_TOPIC_PREFIX = "nav.lookup.v1.retry."
"""The adapter's own delayed retries: `nav.lookup.v1.retry.1`, `.2`, ..."""

EVENTS_TOPIC_PREFIX = "nav.events.v1."
"""A bridged feed's topic is this prefix + the feed id, e.g. `nav.events.v1.trygdehendelser`."""
CHECKPOINT_TOPIC = "nav.bridge.v1.checkpoints"


def request_topic(caller: str) -> str:
    """The topic `caller` writes its lookup requests to."""
    return REQUEST_TOPIC_PREFIX + caller


def reply_topic(caller: str) -> str:
    """The topic `caller`'s replies go to when its request names no `reply_to`."""
    return REPLY_TOPIC_PREFIX + caller
