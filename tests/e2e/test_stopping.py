"""Ctrl-C (SIGINT to the terminal's process group) and SIGTERM (to the process, as a supervisor
sends it) at several moments stop every part: `nav-adapter dev` (embedded broker, sandbox,
lookups), and each role run apart on the README's three-process set-up (`nav-adapter broker`,
`nav-adapter sandbox`, then `nav-adapter lookups` or `nav-adapter bridge`). Each must exit within
the drain timeout, leave no child process behind, and log no flood of errors on the way."""

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.embedded_broker import free_port
from tests.support.commands import Command, ThreeProcesses, clean_env, three_processes

pytestmark = pytest.mark.e2e

# The moments: while the lookups' consumer groups join (start-up), right after the first reply
# (when the hang was seen: the retries group still joining), and a few seconds later.
DEV_MOMENTS = [
    ("start-up", "Adapter      consuming", 0.0, signal.SIGINT),
    ("first-reply", "Reply on", 0.0, signal.SIGINT),
    ("seconds-later", "Reply on", 3.0, signal.SIGINT),
    ("first-reply-sigterm", "Reply on", 0.0, signal.SIGTERM),
]


@pytest.mark.parametrize(("moment", "marker", "delay", "sig"), DEV_MOMENTS, ids=[m[0] for m in DEV_MOMENTS])
def test_dev_stops_on_a_signal_at_any_moment(
    tmp_path: Path, moment: str, marker: str, delay: float, sig: signal.Signals
) -> None:
    ports = [str(free_port()) for _ in range(3)]
    args = ["dev", "--kafka-port", ports[0], "--sandbox-port", ports[1], "--health-port", ports[2]]
    dev = Command.start(args, tmp_path / "dev.out", clean_env(), tmp_path)
    try:
        dev.wait_for(marker)
        time.sleep(delay)
        dev.assert_stops(sig)
    finally:
        dev.kill()


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreeProcesses]:
    with three_processes(tmp_path_factory.mktemp("three")) as running:
        yield running


ROLE_MOMENTS = [
    ("lookups", "start-up", signal.SIGINT, 0.0),
    ("lookups", "running", signal.SIGTERM, 3.0),
    ("bridge", "start-up", signal.SIGINT, 0.0),
    ("bridge", "running", signal.SIGTERM, 3.0),
]


@pytest.mark.parametrize(
    ("role", "moment", "sig", "delay"), ROLE_MOMENTS, ids=[f"{r}-{m}" for r, m, _, _ in ROLE_MOMENTS]
)
def test_each_role_stops_on_a_signal(
    three: ThreeProcesses, tmp_path: Path, role: str, moment: str, sig: signal.Signals, delay: float
) -> None:
    env = {
        **three.env,
        "ADAPTER_HTTP_PORT": str(free_port()),
        "BRIDGE_HTTP_PORT": str(free_port()),
        "BRIDGE_FEEDS": '["trygdehendelser"]',
        "BRIDGE_CHECKPOINT_TOPIC": f"stopping-{tmp_path.name}.checkpoints",
    }
    command = Command.start([role], tmp_path / f"{role}.out", env, three.cwd)
    try:
        # Logged as the role starts to join its consumer groups (lookups) or take its leases.
        command.wait_for(f"{role} running")
        time.sleep(delay)
        command.assert_stops(sig)
    finally:
        command.kill()
