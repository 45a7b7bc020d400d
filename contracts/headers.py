"""Kafka header names this project reads and writes."""

CORRELATION_ID = "correlation_id"
"""On every reply: the request's `request_id`."""

OPERATION = "operation"
"""On every reply and audit record."""

DLQ_REASON = "dlq-reason"
DLQ_SOURCE_TOPIC = "dlq-source-topic"
DLQ_SOURCE_PARTITION = "dlq-source-partition"
DLQ_SOURCE_OFFSET = "dlq-source-offset"
"""Added to a dead letter, which otherwise keeps the original bytes and headers."""

REPLAYED = "replayed"
"""Set by the replay command on every message it copies."""
