"""Kafka as production has it: `nav-adapter lookups` and `nav-adapter bridge` as processes over the
test broker's mutual-TLS listener, configured with NAIS's variables alone, and over its SCRAM-SHA-512
SASL_SSL listener; the tests' own clients use the same listener. A bad credential stops the start
with a message that names the setting and carries no secret."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from adapter.settings import KafkaSettings
from devtools.apache_kafka import Listeners
from devtools.devkeys import DevKeys
from devtools.embedded_broker import free_port
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records
from tests.support.processes import AdapterProcess, assert_no_personal_data, without_own_variables
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e

LISTENERS = ("mutual-tls", "scram")


def platform_env(broker: Listeners, *, encrypted_key: bool = False) -> dict[str, str]:
    """Mutual TLS the way NAIS hands Aiven's credentials over: these four variables (and the
    credstore password where the key is encrypted), nothing else."""
    c = broker.credentials
    env = {
        "KAFKA_BROKERS": broker.ssl,
        "KAFKA_CA_PATH": str(c.ca),
        "KAFKA_CERTIFICATE_PATH": str(c.client_certificate),
        "KAFKA_PRIVATE_KEY_PATH": str(c.encrypted_client_key if encrypted_key else c.client_key),
    }
    if encrypted_key:
        env["KAFKA_CREDSTORE_PASSWORD"] = c.key_password
    return env


def scram_env(broker: Listeners, *, password: str | None = None) -> dict[str, str]:
    c = broker.credentials
    return {
        "KAFKA_BROKERS": broker.sasl_ssl,
        "KAFKA_CA_PATH": str(c.ca),
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": c.scram_user,
        "KAFKA_SASL_PASSWORD": password if password is not None else c.scram_password,
    }


def listener_env(broker: Listeners, listener: str, *, encrypted_key: bool = False) -> dict[str, str]:
    return (
        platform_env(broker, encrypted_key=encrypted_key) if listener == "mutual-tls" else scram_env(broker)
    )


def own_clients_connection(env: dict[str, str]) -> KafkaSettings:
    """The tests' own clients, on the listener and credentials the process is given."""
    return KafkaSettings(
        bootstrap_servers=env["KAFKA_BROKERS"],
        ca_path=Path(env["KAFKA_CA_PATH"]),
        certificate_path=env.get("KAFKA_CERTIFICATE_PATH"),
        private_key_path=env.get("KAFKA_PRIVATE_KEY_PATH"),
        credstore_password=env.get("KAFKA_CREDSTORE_PASSWORD"),
        sasl_mechanism=env.get("KAFKA_SASL_MECHANISM"),  # type: ignore[arg-type]
        sasl_username=env.get("KAFKA_SASL_USERNAME"),
        sasl_password=env.get("KAFKA_SASL_PASSWORD"),
        broker_kind="kafka",
    )


def secrets_of(env: dict[str, str]) -> list[str]:
    """What must never be printed: passwords, and the private keys' text."""
    found = [env[k] for k in ("KAFKA_CREDSTORE_PASSWORD", "KAFKA_SASL_PASSWORD") if k in env]
    if "KAFKA_PRIVATE_KEY_PATH" in env:
        key = Path(env["KAFKA_PRIVATE_KEY_PATH"]).read_text().splitlines()
        found += [line for line in key if not line.startswith("-----")]
    return found


@pytest.mark.parametrize("listener", LISTENERS)
async def test_a_lookup_is_answered_over_a_secured_listener(
    kafka_broker: Listeners, listener: str, tmp_path: Path
) -> None:
    kafka_env = listener_env(kafka_broker, listener)
    async with open_stack(own_clients_connection(kafka_env), tmp_path, in_process_adapter=False) as stack:
        env = without_own_variables(stack.environment(), ("KAFKA_",)) | kafka_env
        adapter = AdapterProcess(env, tmp_path / "adapter.log", isolated=True)
        adapter.start()
        try:
            reply = await stack.ask("frikort.brev", ident="14435512160", timeout=60)
        finally:
            assert adapter.terminate() == 0
    assert reply["status"] == "ok", reply
    log = (tmp_path / "adapter.log").read_text()
    assert_no_personal_data(log)
    assert not any(secret in log for secret in secrets_of(kafka_env))


@pytest.mark.parametrize("listener", LISTENERS)
async def test_a_page_is_bridged_over_a_secured_listener(
    kafka_broker: Listeners, listener: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    # On mutual TLS with an encrypted key, as a JVM credstore's password would unlock it.
    kafka_env = listener_env(kafka_broker, listener, encrypted_key=True)
    kafka = own_clients_connection(kafka_env)
    async with feed_sandbox(kafka, dev_keys, feed_events=8) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": 8}])
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log", kafka_env=kafka_env)
        process.start()
        try:
            topic = bridge.configured_feeds()[0].topic
            records = await wait_for_records(kafka, topic, 8, kind="event", timeout=60)
        finally:
            assert process.terminate() == 0
        assert sorted(r.sequence for r in records if r.kind == "event") == await sandbox.numbers(
            "trygdehendelser"
        )
    log = (tmp_path / "bridge.log").read_text()
    assert not any(secret in log for secret in secrets_of(kafka_env))


def _start_exit(role: str, env: dict[str, str], timeout: float = 45.0) -> tuple[int, str, float]:
    """`nav-adapter ROLE` with `env` as its only adapter variables, run until it exits."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "adapter", role],
        env=without_own_variables(dict(os.environ)) | env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def _wrong_ca(broker: Listeners) -> dict[str, str]:
    return platform_env(broker) | {"KAFKA_CA_PATH": str(broker.credentials.other_ca)}


def _strangers_certificate(broker: Listeners) -> dict[str, str]:
    c = broker.credentials
    return platform_env(broker) | {
        "KAFKA_CERTIFICATE_PATH": str(c.stranger_certificate),
        "KAFKA_PRIVATE_KEY_PATH": str(c.stranger_key),
    }


def _encrypted_key_without_password(broker: Listeners) -> dict[str, str]:
    env = platform_env(broker, encrypted_key=True)
    del env["KAFKA_CREDSTORE_PASSWORD"]
    return env


def _wrong_password(broker: Listeners) -> dict[str, str]:
    return scram_env(broker, password="not-the-scram-password-4711")


def _unreachable(broker: Listeners) -> dict[str, str]:
    return platform_env(broker) | {"KAFKA_BROKERS": f"127.0.0.1:{free_port()}"}


def _tls_to_the_plaintext_listener(broker: Listeners) -> dict[str, str]:
    return platform_env(broker) | {"KAFKA_BROKERS": broker.plaintext}


BAD_CREDENTIALS = [
    pytest.param("lookups", _wrong_ca, "KAFKA_CA_PATH", id="wrong-ca"),
    pytest.param("lookups", _strangers_certificate, "KAFKA_CERTIFICATE_PATH", id="certificate-of-another-ca"),
    pytest.param(
        "bridge", _strangers_certificate, "KAFKA_CERTIFICATE_PATH", id="bridge-certificate-of-another-ca"
    ),
    pytest.param(
        "lookups", _encrypted_key_without_password, "KAFKA_CREDSTORE_PASSWORD", id="encrypted-key-no-password"
    ),
    pytest.param("lookups", _wrong_password, "KAFKA_SASL_PASSWORD", id="wrong-sasl-password"),
    pytest.param("lookups", _unreachable, "KAFKA_BROKERS", id="unreachable-broker"),
    pytest.param(
        "lookups", _tls_to_the_plaintext_listener, "KAFKA_SECURITY_PROTOCOL", id="plaintext-listener"
    ),
]


@pytest.mark.parametrize(("role", "credentials", "setting"), BAD_CREDENTIALS)
def test_a_bad_credential_stops_the_start_naming_the_setting(
    kafka_broker: Listeners, role: str, credentials: Callable[[Listeners], dict[str, str]], setting: str
) -> None:
    env = credentials(kafka_broker)
    code, output, seconds = _start_exit(role, env)
    print(f"\n{role}: {output.strip()} ({seconds:.1f} s)")
    assert code != 0, output
    assert seconds < 30, f"{seconds:.1f} s to stop"
    assert setting in output, output
    assert "Traceback" not in output, output
    assert not any(secret in output for secret in secrets_of(env)), output
    assert kafka_broker.credentials.scram_password not in output


def test_a_broker_that_never_answers_stops_the_start_within_30_seconds(kafka_broker: Listeners) -> None:
    # The kernel completes the TCP handshake on a listening socket that never accepts: the TLS
    # handshake then waits for ever unless the start gives up on its own.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        env = platform_env(kafka_broker) | {"KAFKA_BROKERS": f"127.0.0.1:{port}"}
        code, output, seconds = _start_exit("lookups", env)
    assert code != 0, output
    assert seconds < 30, f"{seconds:.1f} s to stop"
    assert "no answer within" in output and "KAFKA_BROKERS" in output, output
    assert "Traceback" not in output, output
