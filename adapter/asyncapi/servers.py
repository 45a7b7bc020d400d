"""The AsyncAPI servers: the Kafka connections the adapter supports, each with its security.

Without settings (the committed document) every kind is listed, the brokers a server variable;
with the process's settings, the one it is connected with.
"""

from typing import Any

from adapter.settings import KafkaSettings

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "mutualTls": {
        "type": "X509",
        "description": "Mutual TLS: KAFKA_CERTIFICATE_PATH and KAFKA_PRIVATE_KEY_PATH, with KAFKA_CA_PATH "
        "(what NAIS injects for Aiven).",
    },
    "saslPlain": {"type": "plain", "description": "SASL PLAIN over TLS: KAFKA_SASL_USERNAME/PASSWORD."},
    "saslScramSha256": {"type": "scramSha256", "description": "SASL SCRAM-SHA-256 over TLS."},
    "saslScramSha512": {"type": "scramSha512", "description": "SASL SCRAM-SHA-512 over TLS."},
}

_SASL = {"PLAIN": "saslPlain", "SCRAM-SHA-256": "saslScramSha256", "SCRAM-SHA-512": "saslScramSha512"}


def _ref(scheme: str) -> dict[str, str]:
    return {"$ref": f"#/components/securitySchemes/{scheme}"}


def _server(host: str, protocol: str, description: str, schemes: list[str]) -> dict[str, Any]:
    server: dict[str, Any] = {
        "host": host,
        "protocol": protocol,
        "description": description,
        "security": [_ref(s) for s in schemes],
    }
    if "{brokers}" in host:
        server["variables"] = {
            "brokers": {"description": "KAFKA_BROKERS: bootstrap servers, host:port, comma-separated."}
        }
    return server


def all_servers() -> dict[str, dict[str, Any]]:
    return {
        "plaintext": _server("{brokers}", "kafka", "PLAINTEXT: development and tests.", []),
        "mutualTls": _server(
            "{brokers}", "kafka-secure", "SSL with a client certificate (NAIS/Aiven).", ["mutualTls"]
        ),
        "saslSsl": _server(
            "{brokers}",
            "kafka-secure",
            "SASL_SSL: any one of the SASL mechanisms (Confluent Cloud and others).",
            list(_SASL.values()),
        ),
    }


def configured_server(kafka: KafkaSettings) -> dict[str, dict[str, Any]]:
    """The server the process is connected to, named by its protocol, without any credential."""
    protocol = kafka.protocol()
    if protocol.startswith("SASL"):
        schemes = [_SASL[kafka.sasl_mechanism]] if kafka.sasl_mechanism else []
    elif protocol == "SSL" and kafka.certificate_path is not None:
        schemes = ["mutualTls"]
    else:
        schemes = []
    wire = "kafka-secure" if protocol.endswith("SSL") else "kafka"
    return {"configured": _server(kafka.bootstrap_servers or "{brokers}", wire, protocol, schemes)}
