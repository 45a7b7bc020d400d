"""Certificates and a SCRAM user for the test broker's secured listeners, made fresh per run.

One CA signs the broker's certificate (for localhost and 127.0.0.1) and the adapter's client
certificate; a second CA, which the broker does not trust, signs a stranger's client certificate
and stands in for a wrong `KAFKA_CA_PATH`. PEM files only, as NAIS hands them over.
"""

import datetime
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SCRAM_USER = "nav-adapter"


@dataclass(frozen=True)
class Credentials:
    ca: Path
    broker_keystore: Path  # the broker's key and certificate, as Kafka's PEM keystore reads them
    client_certificate: Path
    client_key: Path
    encrypted_client_key: Path  # the same key, encrypted with `key_password`
    key_password: str
    other_ca: Path  # trusted by nobody here: a wrong CA for clients
    stranger_certificate: Path  # a client certificate signed by `other_ca`
    stranger_key: Path
    scram_user: str
    scram_password: str


def _pem_key(key: ec.EllipticCurvePrivateKey, password: str | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class _Authority:
    def __init__(self, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.certificate = self._builder(self.name, self.key.public_key(), ca=True).sign(
            self.key, hashes.SHA256()
        )

    def _builder(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey, ca: bool
    ) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )

    def issue(
        self, common_name: str, *, server: bool = False
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = self._builder(subject, key.public_key(), ca=False)
        if server:
            names: list[x509.GeneralName] = [
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(self.key, hashes.SHA256()), key


def make_credentials(folder: Path) -> Credentials:
    folder.mkdir(parents=True, exist_ok=True)
    ca, other = _Authority("test kafka CA"), _Authority("another CA")
    broker_cert, broker_key = ca.issue("localhost", server=True)
    client_cert, client_key = ca.issue("nav-adapter")
    stranger_cert, stranger_key = other.issue("nav-adapter")
    key_password = secrets.token_hex(12)
    files = {
        "ca.pem": _pem(ca.certificate),
        "broker-keystore.pem": _pem_key(broker_key) + _pem(broker_cert),
        "client.crt": _pem(client_cert),
        "client.key": _pem_key(client_key),
        "client-encrypted.key": _pem_key(client_key, key_password),
        "other-ca.pem": _pem(other.certificate),
        "stranger.crt": _pem(stranger_cert),
        "stranger.key": _pem_key(stranger_key),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return Credentials(
        ca=folder / "ca.pem",
        broker_keystore=folder / "broker-keystore.pem",
        client_certificate=folder / "client.crt",
        client_key=folder / "client.key",
        encrypted_client_key=folder / "client-encrypted.key",
        key_password=key_password,
        other_ca=folder / "other-ca.pem",
        stranger_certificate=folder / "stranger.crt",
        stranger_key=folder / "stranger.key",
        scram_user=SCRAM_USER,
        scram_password=secrets.token_hex(16),
    )
