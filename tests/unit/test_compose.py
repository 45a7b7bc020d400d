"""compose/: Apache Kafka, the sandbox and the adapter, configured with the same settings as
everywhere else. Checked here without Docker; `docker compose config` runs where an engine answers."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from adapter.settings import BridgeSettings, KafkaSettings, LookupSettings, NavSettings
from nav_sandbox.cli import _parser as sandbox_parser
from tests.unit.test_settings import env_names

COMPOSE = Path(__file__).parents[2] / "compose" / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def test_runs_apache_kafka_in_kraft_mode_the_sandbox_and_the_adapter() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert {"sandbox", "adapter", "bridge", "keys"} <= set(services)


def test_adapter_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _compose()["services"]["adapter"]["environment"]
    known = {*env_names(KafkaSettings), *env_names(NavSettings), *env_names(LookupSettings)}
    assert set(env) <= known, f"unknown settings in compose: {set(env) - known}"
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    assert KafkaSettings().bootstrap_servers == "kafka:9092"
    assert LookupSettings().callers["dev"], "the dev caller may use scopes"
    nav = NavSettings()
    assert all(url.startswith("http://sandbox:8080/") for url in nav.nav_base_urls.values())


def test_sandbox_command_is_accepted_by_its_cli() -> None:
    command = _compose()["services"]["sandbox"]["command"]
    assert command[0] == "nav-sandbox"
    args = sandbox_parser().parse_args(command[1:])
    assert args.port == 8080 and str(args.jwks) == "/keys/jwks.json"


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_config_where_an_engine_answers() -> None:
    if subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode != 0:
        pytest.skip("no Docker engine answers here")
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()


def test_bridge_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _compose()["services"]["bridge"]["environment"]
    known = {*env_names(KafkaSettings), *env_names(NavSettings), *env_names(BridgeSettings)}
    assert set(env) <= known, f"unknown settings in compose: {set(env) - known}"
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    settings = BridgeSettings()
    assert settings.feeds and settings.samordning_tpnr == ["3010"]
    nav = NavSettings()
    assert {f.feed.api.key for f in settings.configured_feeds()} <= set(nav.nav_base_urls)
