"""The check every command makes before it starts: can it reach Kafka as configured?

Without it a wrong CA, client certificate or SASL password, or no broker at all, shows only as
clients retrying for ever. The check stops the start within the connect timeout, with a message
that names the settings to look at and never carries a secret.
"""

import asyncio
import ssl

from aiokafka import errors
from aiokafka.conn import create_conn

from adapter.kafka.clients import KafkaConfigError, connection
from adapter.settings import KafkaSettings

_CLIENT_CERTIFICATE_REFUSED = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA", "CERTIFICATE_UNKNOWN")


def _hosts(brokers: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for entry in brokers.split(","):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit():
            raise KafkaConfigError(f"KAFKA_BROKERS: {entry.strip()!r} is not host:port")
        out.append((host.strip("[]"), int(port)))
    return out


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _reason(kafka: KafkaSettings, exc: BaseException) -> str:
    """What went wrong, in terms of the settings; the exception's own text is never shown."""
    tls = _ssl_cause(exc)
    if isinstance(tls, ssl.SSLCertVerificationError):
        if "mismatch" in (tls.verify_message or ""):
            return "the broker's certificate does not name its host (KAFKA_BROKERS, KAFKA_SSL_CHECK_HOSTNAME)"
        return "the broker's certificate is not signed by KAFKA_CA_PATH"
    if tls is not None:
        if any(alert in (tls.reason or "") for alert in _CLIENT_CERTIFICATE_REFUSED):
            return _client_certificate_refused(kafka)
        if "WRONG_VERSION_NUMBER" in (tls.reason or ""):
            return "the broker does not speak TLS there (KAFKA_SECURITY_PROTOCOL)"
        return f"TLS failed ({tls.reason or type(tls).__name__}; KAFKA_CA_PATH, KAFKA_CERTIFICATE_PATH)"
    if isinstance(exc, errors.SaslAuthenticationFailed | errors.AuthenticationFailedError):
        return "SASL authentication failed (KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)"
    if isinstance(exc, errors.UnsupportedSaslMechanismError | errors.IllegalSaslStateError):
        return "the broker does not take KAFKA_SASL_MECHANISM there"
    if isinstance(exc, TimeoutError):
        return (
            f"no answer within {kafka.connect_timeout_seconds:g} s (KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL)"
        )
    if isinstance(exc, errors.KafkaConnectionError):
        # With TLS 1.3 a broker refuses a client certificate by closing after the handshake.
        if kafka.protocol() == "SSL":
            return _client_certificate_refused(kafka)
        return "the broker closed the connection (KAFKA_SECURITY_PROTOCOL)"
    if isinstance(exc, ConnectionResetError | BrokenPipeError) and kafka.protocol().endswith("SSL"):
        # A listener without TLS reads the TLS hello as a request of absurd size and hangs up.
        return (
            "the broker hung up on the TLS handshake: not a TLS listener? "
            "(KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL)"
        )
    if isinstance(exc, OSError):
        return f"nothing answers there ({type(exc).__name__}; KAFKA_BROKERS)"
    return f"{type(exc).__name__} (KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL)"


def _client_certificate_refused(kafka: KafkaSettings) -> str:
    if kafka.certificate_path is None:
        return "the broker wants a client certificate (KAFKA_CERTIFICATE_PATH, KAFKA_PRIVATE_KEY_PATH)"
    return "the broker refused the client certificate (KAFKA_CERTIFICATE_PATH, KAFKA_PRIVATE_KEY_PATH)"


async def check_connection(kafka: KafkaSettings) -> None:
    """Connect to one bootstrap broker and authenticate, or raise `KafkaConfigError`."""
    options = connection(kafka)
    hosts = _hosts(options.pop("bootstrap_servers"))
    del options["request_timeout_ms"]  # the start's own bound, below, applies to this connection
    per_host = kafka.connect_timeout_seconds / len(hosts)
    reasons: dict[str, None] = {}
    for host, port in hosts:
        try:
            async with asyncio.timeout(per_host):
                conn = await create_conn(host, port, request_timeout_ms=int(per_host * 1000), **options)
        except Exception as exc:
            reasons[_reason(kafka, exc)] = None
            continue
        conn.close()
        return
    raise KafkaConfigError(
        f"cannot connect to Kafka at KAFKA_BROKERS={kafka.brokers()} over {kafka.protocol()}: "
        + "; ".join(reasons)
    )
