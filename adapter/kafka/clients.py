"""Every Kafka client of every role is built here, from the one Kafka connection in the settings.

aiokafka clients get the protocol, an SSL context from `create_ssl_context` and the SASL
arguments; FastStream's broker gets the same as FastStream's own security object. A client is
never built without them, so nothing falls back to plaintext.
"""

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from adapter.kafka.partitioner import CachedPartitioner
from adapter.settings import KafkaSettings


class KafkaConfigError(Exception):
    """A Kafka setting that cannot be used; the message names it and carries no secret."""


def ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    if not kafka.protocol().endswith("SSL"):
        return None
    # Never None: without a password OpenSSL would ask for one on the terminal, and wait.
    password = kafka.credstore_password.get_secret_value() if kafka.credstore_password else ""
    try:
        context: ssl.SSLContext = create_ssl_context(cafile=kafka.ca_path)
    except (OSError, ssl.SSLError) as exc:
        raise KafkaConfigError(f"KAFKA_CA_PATH cannot be read as a PEM CA ({type(exc).__name__})") from None
    if kafka.certificate_path is not None:
        try:
            context.load_cert_chain(kafka.certificate_path, kafka.private_key_path, password=password)
        except (OSError, ssl.SSLError) as exc:
            raise KafkaConfigError(
                "KAFKA_CERTIFICATE_PATH and KAFKA_PRIVATE_KEY_PATH cannot be read as a PEM certificate "
                f"and key (encrypted? then KAFKA_CREDSTORE_PASSWORD) ({type(exc).__name__})"
            ) from None
    context.check_hostname = kafka.ssl_check_hostname
    return context


def connection(kafka: KafkaSettings) -> dict[str, Any]:
    """What every aiokafka client is given: where Kafka is and how to prove who we are."""
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.brokers(),
        "security_protocol": kafka.protocol(),
        "ssl_context": ssl_context(kafka),
        "request_timeout_ms": kafka.request_timeout_ms,
    }
    if kafka.sasl_mechanism is not None:
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username,
            "sasl_plain_password": kafka.sasl_secret(),
        }
    return options


def _producing(kafka: KafkaSettings) -> dict[str, Any]:
    compression = None if kafka.compression == "none" else kafka.compression
    return {"acks": "all", "compression_type": compression, "enable_idempotence": kafka.idempotent()}


def consumer(kafka: KafkaSettings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **connection(kafka), **options)


def producer(kafka: KafkaSettings, **options: Any) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica (`acks="all"`), idempotent where it can be;
    a keyed record goes to Kafka's partition for its key (`CachedPartitioner`)."""
    options.setdefault("partitioner", CachedPartitioner())
    return AIOKafkaProducer(**connection(kafka), **_producing(kafka), **options)


def admin(kafka: KafkaSettings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**connection(kafka))


def _security(kafka: KafkaSettings) -> BaseSecurity:
    context = ssl_context(kafka)
    use_ssl = context is not None
    user, password = kafka.sasl_username or "", kafka.sasl_secret()
    match kafka.sasl_mechanism:
        case "PLAIN":
            return SASLPlaintext(user, password, ssl_context=context, use_ssl=use_ssl)
        case "SCRAM-SHA-256":
            return SASLScram256(user, password, ssl_context=context, use_ssl=use_ssl)
        case "SCRAM-SHA-512":
            return SASLScram512(user, password, ssl_context=context, use_ssl=use_ssl)
    return BaseSecurity(ssl_context=context, use_ssl=use_ssl)


def faststream_broker(kafka: KafkaSettings, **options: Any) -> KafkaBroker:
    return KafkaBroker(
        kafka.brokers(),
        security=_security(kafka),
        request_timeout_ms=kafka.request_timeout_ms,
        **_producing(kafka),
        **options,
    )
