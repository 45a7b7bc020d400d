"""`nav-adapter dev` and `nav-adapter request`, as a newcomer runs them (`make run`): the commands
the development tools register, through the embedded broker and the sandbox."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.embedded_broker import free_port
from nav_sandbox import PEOPLE
from tests.support.processes import wait_for_output

pytestmark = pytest.mark.e2e

NAV_ADAPTER = [str(Path(sys.executable).parent / "nav-adapter")]


def test_dev_answers_a_first_lookup_and_request_sends_another(tmp_path: Path) -> None:
    kafka_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    out = tmp_path / "dev.out"
    with out.open("wb") as sink:
        dev = subprocess.Popen(
            [*NAV_ADAPTER, "dev", "--kafka-port", str(kafka_port), "--sandbox-port", str(sandbox_port)],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        printed = wait_for_output(out, "Try next", dev, timeout=120)
        assert '"status": "ok"' in printed.split("Reply on", 1)[1]
        request = subprocess.run(
            [
                *NAV_ADAPTER,
                "request",
                "medlemskapsunntak.search",
                f"ident={PEOPLE[0].ident}",
                "--kafka-port",
                str(kafka_port),
            ],
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert request.returncode == 0, request.stderr.decode(errors="replace")
        assert b'"status": "ok"' in request.stdout
        dev.send_signal(signal.SIGTERM)
        assert dev.wait(timeout=60) == 0
    finally:
        if dev.poll() is None:
            dev.kill()
            dev.wait()
