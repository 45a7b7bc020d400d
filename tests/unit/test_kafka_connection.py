"""The one Kafka connection: NAIS's variables as they are, SASL, and what every client is given."""

import datetime
import functools
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from adapter.kafka import clients
from adapter.kafka.clients import KafkaConfigError
from adapter.settings import KafkaSettings


def _certificate(directory: Path, password: bytes | None = None) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "adapter")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return cert_path, key_path


def test_the_platforms_names_mean_mutual_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = _certificate(tmp_path)
    monkeypatch.setenv("KAFKA_BROKERS", "broker-1:26484,broker-2:26484")
    monkeypatch.setenv("KAFKA_CA_PATH", str(cert))
    monkeypatch.setenv("KAFKA_CERTIFICATE_PATH", str(cert))
    monkeypatch.setenv("KAFKA_PRIVATE_KEY_PATH", str(key))
    monkeypatch.setenv("NAIS_POD_NAME", "nav-lookups-74dbb9ff9f-7zvsh")
    kafka = KafkaSettings()
    options = clients.connection(kafka)
    assert options["bootstrap_servers"] == "broker-1:26484,broker-2:26484"
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    assert kafka.group_instance_id == "nav-lookups-74dbb9ff9f-7zvsh"


def test_an_empty_group_instance_id_overrides_the_pods_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAIS_POD_NAME", "nav-lookups-74dbb9ff9f-7zvsh")
    monkeypatch.setenv("KAFKA_GROUP_INSTANCE_ID", "")
    assert KafkaSettings(bootstrap_servers="b:1").group_instance_id is None


def test_an_encrypted_key_needs_the_credstore_password(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path, password=b"credstore-secret")
    given = {"bootstrap_servers": "b:1", "ca_path": cert, "certificate_path": cert, "private_key_path": key}
    with pytest.raises(KafkaConfigError, match="KAFKA_CREDSTORE_PASSWORD") as refused:
        clients.connection(KafkaSettings(**given))
    assert "credstore-secret" not in str(refused.value)
    options = clients.connection(KafkaSettings(**given, credstore_password="credstore-secret"))
    assert isinstance(options["ssl_context"], ssl.SSLContext)


def test_a_ca_that_is_not_pem_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    with pytest.raises(KafkaConfigError, match="KAFKA_CA_PATH"):
        clients.connection(KafkaSettings(bootstrap_servers="b:1", ca_path=tmp_path / "ca.pem"))


def test_sasl_scram_over_tls_with_the_password_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("scram-secret\n")
    kafka = KafkaSettings(
        bootstrap_servers="pkc-1.confluent.cloud:9092",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="adapter",
        sasl_password_file=tmp_path / "password",
    )
    options = clients.connection(kafka)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == "scram-secret"
    assert "scram-secret" not in repr(kafka)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"security_protocol": "SASL_SSL"}, "KAFKA_SASL_MECHANISM"),
        ({"sasl_mechanism": "PLAIN", "sasl_username": "u"}, "KAFKA_SASL_PASSWORD"),
        ({"certificate_path": "/c.pem"}, "KAFKA_PRIVATE_KEY_PATH"),
        ({"security_protocol": "PLAINTEXT", "ca_path": "/ca.pem"}, "KAFKA_CA_PATH"),
        ({"security_protocol": "SSL", "sasl_mechanism": "PLAIN"}, "KAFKA_SASL_MECHANISM"),
        ({"compression": "brotli"}, "compression"),
    ],
)
def test_a_connection_that_cannot_work_names_the_setting(given: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        KafkaSettings(bootstrap_servers="b:1", **given)  # type: ignore[arg-type]


def test_no_broker_address_outside_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("KAFKA_BROKERS", raising=False)
    with pytest.raises(ValueError, match="KAFKA_BROKERS"):
        clients.connection(KafkaSettings())


async def test_producers_are_idempotent_except_on_tansu_and_compress_as_configured() -> None:
    producer = clients.producer(
        KafkaSettings(bootstrap_servers="b:1", broker_kind="kafka", compression="zstd")
    )
    # What aiokafka was given: a transaction manager is how it keeps an idempotent producer.
    assert producer._txn_manager is not None
    assert producer._compression_type == "zstd"
    tansu = clients.producer(KafkaSettings(bootstrap_servers="b:1", broker_kind="tansu"))
    assert tansu._txn_manager is None
    assert tansu._compression_type is None


def test_every_client_waits_for_a_request_as_long_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_REQUEST_TIMEOUT_MS", "15000")
    kafka = KafkaSettings(bootstrap_servers="b:1")
    # What aiokafka's consumers, producers and admin clients are built with, and the lookups' broker.
    assert clients.connection(kafka)["request_timeout_ms"] == 15000
    consumers = clients.faststream_broker(kafka).config.broker_config.builder
    assert isinstance(consumers, functools.partial) and consumers.keywords["request_timeout_ms"] == 15000
    monkeypatch.delenv("KAFKA_REQUEST_TIMEOUT_MS")
    assert KafkaSettings(bootstrap_servers="b:1").request_timeout_ms == 40000  # aiokafka's own
