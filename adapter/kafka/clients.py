"""Every Kafka client of every role is built here, from the one Kafka connection in the settings."""

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from adapter.settings import KafkaSettings


def _connection(kafka: KafkaSettings) -> dict[str, Any]:
    return {"bootstrap_servers": kafka.bootstrap_servers}


def consumer(kafka: KafkaSettings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **_connection(kafka), **options)


def producer(kafka: KafkaSettings, **options: Any) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (`acks="all"`)."""
    return AIOKafkaProducer(**_connection(kafka), acks="all", **options)


def admin(kafka: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**_connection(kafka))


def faststream_broker(kafka: KafkaSettings, **options: Any) -> KafkaBroker:
    return KafkaBroker(kafka.bootstrap_servers, **options)
