"""Kafka for the tests: KAFKA_BOOTSTRAP_SERVERS if set, else testcontainers if Docker answers,
else the embedded Tansu broker."""

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from devtools.devkeys import DevKeys, make_dev_keys
from devtools.embedded_broker import EmbeddedBroker


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        yield configured
        return
    if _docker_answers():
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
