"""A single-node Apache Kafka broker (KRaft) for the tests and the benchmark, from the jars
`make kafka-jars` copies.

Loopback ports only; its data and log in the folder it is given; settings for a one-node test
cluster (replication factor 1, no rebalance delay). Three listeners: PLAINTEXT (what the suites
use by default), SSL with required client certificates, and SASL_SSL with SCRAM-SHA-512 for a
user made at format time; the certificates and the user are made fresh for each broker.
"""

import asyncio
import base64
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from adapter.kafka import clients
from adapter.settings import KafkaSettings
from devtools.embedded_broker import free_port
from devtools.kafka_tls import Credentials, make_credentials

JARS = Path(__file__).resolve().parents[1] / ".cache" / "kafka"

# The broker's log on stdout (the fixture sends it to broker.log): INFO, the chatty parts at WARN.
LOG4J2 = """\
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""


def apache_kafka_available() -> bool:
    """The jars are copied and a JVM is on the path."""
    return shutil.which("java") is not None and any(JARS.glob("kafka_2.13-*.jar"))


def _cluster_id() -> str:
    # Kafka's cluster ids are 16 random bytes, URL-safe base64 without padding.
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


async def _answers_metadata(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            pass
    except OSError:
        return False
    # The PLAINTEXT listener on loopback, whatever KAFKA_* the surrounding process has.
    kafka = KafkaSettings(
        bootstrap_servers=f"{host}:{port}",
        security_protocol="PLAINTEXT",
        sasl_mechanism=None,
        request_timeout_ms=5000,
    )
    admin = clients.admin(kafka)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        await admin.close()


@dataclass(frozen=True)
class Listeners:
    """Where the broker listens, by security protocol, and what a client proves itself with."""

    plaintext: str
    ssl: str  # mutual TLS: a client certificate signed by `credentials.ca` is required
    sasl_ssl: str  # SCRAM-SHA-512 as `credentials.scram_user`, the broker checked by `credentials.ca`
    credentials: Credentials


class ApacheKafka:
    def __init__(self, folder: Path, properties: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.properties = properties or {}  # over the defaults below, e.g. auto.create.topics.enable
        self.host = "127.0.0.1"
        self.plaintext_port = free_port()
        self.controller_port = free_port()
        self.ssl_port = free_port()
        self.sasl_ssl_port = free_port()
        self.log_path = folder / "broker.log"
        self.credentials = make_credentials(folder / "tls")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.plaintext_port}"

    @property
    def listeners(self) -> Listeners:
        return Listeners(
            plaintext=self.bootstrap_servers,
            ssl=f"{self.host}:{self.ssl_port}",
            sasl_ssl=f"{self.host}:{self.sasl_ssl_port}",
            credentials=self.credentials,
        )

    def _properties(self) -> str:
        data = self.folder / "data"
        clients = (
            f"PLAINTEXT://{self.host}:{self.plaintext_port},SSL://{self.host}:{self.ssl_port},"
            f"SASL_SSL://{self.host}:{self.sasl_ssl_port}"
        )
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"{clients},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": clients,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": (
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL"
            ),
            # Both TLS listeners: the broker's key and certificate, and the CA it trusts, as PEM.
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": str(self.credentials.broker_keystore),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.credentials.ca),
            "listener.name.ssl.ssl.client.auth": "required",
            "listener.name.sasl_ssl.ssl.client.auth": "none",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "log.dirs": str(data),
            "num.partitions": "4",  # as ensure_topics makes them; auto-created replay targets too
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "1000",
        }
        return "".join(f"{key}={value}\n" for key, value in (lines | self.properties).items())

    def _java(self, main: str, *args: str, heap: str = "-Xmx512m") -> list[str]:
        logging = self.folder / "log4j2.properties"
        logging.write_text(LOG4J2)
        return [
            "java",
            heap,
            "-XX:+UseSerialGC",
            f"-Dlog4j2.configurationFile={logging}",
            "-cp",
            f"{JARS}/*",
            main,
            *args,
        ]

    def start(self, timeout: float = 60.0) -> "ApacheKafka":
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "server.properties"
        config.write_text(self._properties())
        user = self.credentials
        scram = f"SCRAM-SHA-512=[name={user.scram_user},password={user.scram_password}]"
        formatted = subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(),
                "-c",
                str(config),
                "--add-scram",
                scram,
                heap="-Xmx256m",
            ),
            capture_output=True,
            timeout=timeout,
        )
        if formatted.returncode != 0:
            raise RuntimeError(f"kafka storage format failed: {formatted.stderr.decode()[-2000:]}")
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self._java("kafka.Kafka", str(config)), stdout=log, stderr=subprocess.STDOUT
            )
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self._process.poll() is not None:
                raise RuntimeError(f"kafka exited with {self._process.returncode}: {self._log_tail()}")
            if asyncio.run(_answers_metadata(self.host, self.plaintext_port)):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"kafka did not answer within {timeout} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> "ApacheKafka":
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
