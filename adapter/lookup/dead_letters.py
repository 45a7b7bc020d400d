"""Keeping a request Kafka would not take as a dead letter, and never stalling its partition on it.

When even the dead letter is refused (the request is over the broker's size limit, or the
dead-letter topic is missing or not writable), the reason alone is tried, without the request's
key, value or headers; when that is refused too, a log line is all that is left. Either way the
caller's offset can finish.
"""

import logging

from adapter.kafka.producer import Producer, PublishRefused
from adapter.kafka.records import Incoming
from adapter.lookup.records import dead_letter

log = logging.getLogger(__name__)


async def keep_as_dead_letter(producer: Producer, topic: str, incoming: Incoming, reason: str) -> bool:
    """True when a dead letter (whole, or the reason alone) was acknowledged."""
    try:
        await producer.send_until_acked([dead_letter(topic, incoming, reason)])
        return True
    except PublishRefused as refused:
        reason = f"{reason}; the dead letter was refused too: {refused.reason}"
    bare = Incoming(incoming.topic, incoming.partition, incoming.offset, None, b"", ())
    try:
        await producer.send_until_acked([dead_letter(topic, bare, reason)])
        return True
    except PublishRefused as refused:
        log.error(
            "request dropped, no dead letter could be written: %s (topic=%s partition=%d offset=%d)",
            refused.reason,
            incoming.topic,
            incoming.partition,
            incoming.offset,
        )
        return False
