"""Kafka for the tests: TEST_KAFKA=apache (Apache Kafka from .cache/kafka) or TEST_KAFKA=tansu picks
one; else KAFKA_BOOTSTRAP_SERVERS if set, else Apache Kafka when java and its jars are there, else
testcontainers if Docker answers, else Tansu."""

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from devtools.apache_kafka import ApacheKafka, Listeners, apache_kafka_available
from devtools.devkeys import DevKeys, make_dev_keys
from devtools.embedded_broker import EmbeddedBroker

_APACHE_LISTENERS = pytest.StashKey[Listeners]()


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _broker_choice() -> str:
    forced = os.environ.get("TEST_KAFKA", "")
    if forced in ("apache", "tansu"):
        return forced
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return "configured"
    if apache_kafka_available():
        return "apache"
    return "docker" if _docker_answers() else "tansu"


def pytest_report_header(config: pytest.Config) -> str:
    return f"kafka: {_broker_choice()}"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[str]:
    choice = _broker_choice()
    if choice == "configured":
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    if choice == "apache":
        with ApacheKafka(tmp_path_factory.mktemp("apache-kafka")) as kafka:
            os.environ["KAFKA_BROKER_KIND"] = "kafka"
            pytestconfig.stash[_APACHE_LISTENERS] = kafka.listeners
            yield kafka.bootstrap_servers
            del pytestconfig.stash[_APACHE_LISTENERS]
        return
    if choice == "docker":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with EmbeddedBroker() as broker:
        # Every Kafka connection of the tests and their processes is built from the environment.
        os.environ["KAFKA_BROKER_KIND"] = "tansu"
        yield broker.bootstrap_servers


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeys:
    return make_dev_keys(tmp_path_factory.mktemp("bridge-keys"))


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Listeners:
    """The test broker's PLAINTEXT, mutual-TLS and SCRAM listeners with their credentials; only the
    Apache Kafka the tests start has the secured ones."""
    if _broker_choice() != "apache":
        pytest.skip(
            f"the secured listeners are on the Apache Kafka test broker only, not on {_broker_choice()}"
        )
    request.getfixturevalue("kafka_bootstrap")
    return pytestconfig.stash[_APACHE_LISTENERS]
