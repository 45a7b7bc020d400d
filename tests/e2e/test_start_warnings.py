"""A warning at start means something is wrong: a dev start logs none, a token endpoint blip at
start is tried again rather than reported, and a refused grant is reported with Maskinporten's
reason. Through `nav-adapter dev`, and `nav-adapter lookups` on the README's three-process set-up."""

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from devtools.embedded_broker import free_port
from tests.support.commands import Command, ThreeProcesses, clean_env, three_processes

pytestmark = pytest.mark.e2e


def test_a_dev_start_logs_no_warning_and_prints_the_whole_reply(tmp_path: Path) -> None:
    ports = [str(free_port()) for _ in range(3)]
    args = ["dev", "--kafka-port", ports[0], "--sandbox-port", ports[1], "--health-port", ports[2]]
    dev = Command.start(args, tmp_path / "dev.out", clean_env(), tmp_path)
    try:
        dev.wait_for("Try next")
        time.sleep(2)  # the token warm-up and the retries group's join have ended by now
        printed = dev.out.read_text()
        warnings = [line for line in printed.splitlines() if re.search(r"\b(WARNING|ERROR)\b", line)]
        assert not warnings, "\n".join(warnings)
        reply_text = re.split(r"Reply on \S+:\n", printed, maxsplit=1)[1].split("\n\nTry next", 1)[0]
        reply = orjson.loads(reply_text)  # whole: a cut reply would not parse
        assert reply["status"] == "ok"
        assert len(reply["result"]) == 2  # both of the person's unntak, as the sandbox lists them
        assert "\n    " in reply_text  # indented
        dev.assert_stops(signal.SIGINT)
    finally:
        dev.kill()


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreeProcesses]:
    with three_processes(tmp_path_factory.mktemp("three")) as running:
        yield running


def _lookups(three: ThreeProcesses, out: Path, **env: str) -> tuple[Command, str]:
    port = free_port()
    command = Command.start(["lookups"], out, {**three.env, "ADAPTER_HTTP_PORT": str(port), **env}, three.cwd)
    return command, f"http://127.0.0.1:{port}/isready"


def _token_answers(three: ThreeProcesses) -> dict[str, int]:
    stats = httpx.get(f"{three.sandbox_url}/_sandbox/stats").json()
    answers: dict[str, int] = stats["requests"].get("token", {})
    return answers


def _wait_ready(command: Command, url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert command.process.poll() is None, command.out.read_text()
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready in {timeout}s:\n{command.out.read_text()}")


def test_a_token_endpoint_blip_at_start_is_tried_again_not_reported(
    three: ThreeProcesses, tmp_path: Path
) -> None:
    before = _token_answers(three)
    fault = {"status": 503, "api": "token", "count": 2}
    assert httpx.post(f"{three.sandbox_url}/_sandbox/faults", json=fault).is_success
    command, ready = _lookups(three, tmp_path / "lookups.out")
    try:
        _wait_ready(command, ready)
        time.sleep(1)
        log = command.out.read_text()
        assert "no token yet" not in log, log
        assert '"level":"WARNING"' not in log, log
        after = _token_answers(three)
        assert after.get("503", 0) - before.get("503", 0) == 2, after  # the blip did happen
        assert after.get("200", 0) - before.get("200", 0) >= 7, after  # then every scope had its token
        command.assert_stops(signal.SIGTERM)
    finally:
        command.kill()
        httpx.delete(f"{three.sandbox_url}/_sandbox/faults")


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_refused_grant_at_start_is_reported_with_the_reason(
    three: ThreeProcesses, tmp_path: Path, log_format: str
) -> None:
    """JSON lines by default for a role; ADAPTER_LOG_FORMAT=text makes them the tools' readable lines."""
    env = {"ADAPTER_MASKINPORTEN_CLIENT_ID": "not-registered"}
    if log_format == "text":
        env["ADAPTER_LOG_FORMAT"] = "text"
    command, _ = _lookups(three, tmp_path / "lookups.out", **env)
    try:
        command.wait_for("no token yet", timeout=60)
        time.sleep(1)
        lines = command.out.read_text().splitlines()
        if log_format == "json":
            warned = [
                m
                for line in lines
                if line.startswith("{") and "no token yet" in (m := orjson.loads(line)["message"])
            ]
        else:
            assert not any(line.startswith("{") for line in lines), lines
            warned = [line for line in lines if " WARNING adapter.lookup.app no token yet" in line]
        assert len(warned) == 7, warned  # one a scope, each once
        assert all("invalid_grant" in message and "Client not found" in message for message in warned)
        command.assert_stops(signal.SIGTERM)
    finally:
        command.kill()
