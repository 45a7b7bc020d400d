"""What a start checks before it works: a broker to talk to, Maskinporten as the platform hands it
over, and every scope in use granted. Each is `nav-adapter lookups` as deployed, as a process."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jwt.algorithms import RSAAlgorithm

from devtools.embedded_broker import free_port
from tests.support.processes import AdapterProcess, assert_no_personal_data
from tests.support.stack import ALL_SCOPES, open_stack

pytestmark = pytest.mark.e2e

OWN_VARIABLES = ("KAFKA_", "ADAPTER_", "BRIDGE_", "MASKINPORTEN_", "NAIS_")


def exit_of(env: dict[str, str], timeout: float = 40.0) -> tuple[int, str, float]:
    """Run `nav-adapter lookups` with only `env` of the adapter's own variables, until it exits."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "adapter", "lookups"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def platform_maskinporten(env: dict[str, str], key_file: Path, key_id: str, scopes: str) -> dict[str, str]:
    """`env` with Maskinporten given as NAIS gives it: a private JWK and the granted scopes."""
    jwk = json.loads(RSAAlgorithm.to_jwk(RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(key_file.read_text())))
    own = {k: v for k, v in env.items() if not k.startswith("ADAPTER_MASKINPORTEN_")}
    return {
        **own,
        "MASKINPORTEN_CLIENT_ID": env["ADAPTER_MASKINPORTEN_CLIENT_ID"],
        "MASKINPORTEN_CLIENT_JWK": json.dumps({**jwk, "kid": key_id}),
        "MASKINPORTEN_ISSUER": env["ADAPTER_MASKINPORTEN_ISSUER"],
        "MASKINPORTEN_TOKEN_ENDPOINT": env["ADAPTER_MASKINPORTEN_TOKEN_URL"],
        "MASKINPORTEN_SCOPES": scopes,
    }


def test_a_start_without_a_broker_names_the_variable() -> None:
    code, output, _ = exit_of({})
    assert code != 0
    assert "KAFKA_BROKERS" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADAPTER_DRAIN_TIMEOUT_SECONDS", "soon-ish"),
        ("KAFKA_SECURITY_PROTOCOL", "CARRIER_PIGEON"),
        ("BRIDGE_DRAIN_TIMEOUT_SECONDS", "later"),
    ],
)
def test_a_setting_that_does_not_parse_is_named_by_its_variable(variable: str, value: str) -> None:
    role = "bridge" if variable.startswith("BRIDGE_") else "lookups"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    env = {**clean, "KAFKA_BROKERS": f"127.0.0.1:{free_port()}", variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "adapter", role],
        env=env,
        capture_output=True,
        text=True,
        timeout=40,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"invalid configuration: {variable}: " in output
    assert value not in output  # a value may be a secret: never echoed
    assert "Traceback" not in output


def test_an_unreachable_broker_stops_the_start_within_30_seconds() -> None:
    code, output, seconds = exit_of({"KAFKA_BROKERS": f"127.0.0.1:{free_port()}"})
    assert code != 0 and seconds < 30
    assert "cannot connect to Kafka" in output and "KAFKA_BROKERS" in output
    assert "Traceback" not in output


async def test_lookups_answer_with_maskinporten_as_the_platform_gives_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        env = platform_maskinporten(
            stack.environment(), tmp_path / "maskinporten-key.pem", "dev-key-1", " ".join(sorted(ALL_SCOPES))
        )
        assert not any(k.startswith("ADAPTER_MASKINPORTEN_") for k in env)
        adapter = AdapterProcess(env, tmp_path / "adapter.log")
        adapter.start()
        try:
            reply = await stack.ask("frikort.brev", ident="14435512160", timeout=60)
        finally:
            assert adapter.terminate() == 0
        assert reply["status"] == "ok", reply
        assert_no_personal_data((tmp_path / "adapter.log").read_text())


async def test_a_scope_in_use_but_not_granted_stops_the_start(kafka_bootstrap: str, tmp_path: Path) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        granted = sorted(ALL_SCOPES - {"nav:arbeid/v1/aap"})
        env = platform_maskinporten(
            stack.environment(), tmp_path / "maskinporten-key.pem", "dev-key-1", " ".join(granted)
        )
        code, output, _ = exit_of(env)
    assert code != 0
    assert "MASKINPORTEN_SCOPES" in output and "nav:arbeid/v1/aap" in output
    assert "BEGIN PRIVATE KEY" not in output and '"d":' not in output
