"""Ctrl-C (SIGINT to the terminal's process group) and SIGTERM (to the process, as a supervisor
sends it) at several moments stop every part: `nav-adapter dev` (embedded broker, sandbox,
lookups), and each role run apart on the README's three-process set-up (`nav-adapter broker`,
`nav-adapter sandbox`, then `nav-adapter lookups` or `nav-adapter bridge`). Each must exit within
the drain timeout, leave no child process behind, and log no flood of errors on the way."""

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.embedded_broker import free_port
from tests.support.processes import wait_for_output

pytestmark = pytest.mark.e2e

NAV_ADAPTER = str(Path(sys.executable).parent / "nav-adapter")
STOP_BOUND = 45.0
"""The lookups' drain timeout (30 s) and some slack for a busy machine."""
MAX_ERROR_LINES = 10


def _children(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (the embedded broker runs in a session of its own)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        kids = {child for child, p in parents.items() if p == parent}
        found |= kids
        todo += kids
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class Command:
    """A `nav-adapter` command in a session of its own, as a shell runs it in a terminal."""

    process: subprocess.Popen[bytes]
    out: Path

    @classmethod
    def start(cls, args: list[str], out: Path, env: dict[str, str], cwd: Path) -> "Command":
        with out.open("wb") as sink:
            process = subprocess.Popen(
                [NAV_ADAPTER, *args],
                env=env,
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(process, out)

    def wait_for(self, text: str, timeout: float = 120.0) -> None:
        wait_for_output(self.out, text, self.process, timeout)

    def send(self, sig: signal.Signals) -> None:
        if sig is signal.SIGINT:
            os.killpg(self.process.pid, sig)  # Ctrl-C: the whole foreground group
        else:
            self.process.send_signal(sig)

    def assert_stops(self, sig: signal.Signals) -> None:
        """Sent `sig`, the command exits cleanly within the bound, its children with it."""
        children = _children(self.process.pid)
        self.send(sig)
        started = time.monotonic()
        try:
            code = self.process.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {STOP_BOUND}s after {sig.name}:\n{self._tail()}") from None
        took = time.monotonic() - started
        log = self.out.read_text(errors="replace")
        assert code == 0, f"exited with {code} after {sig.name}:\n{self._tail()}"
        deadline = time.monotonic() + 10
        while (left := {pid for pid in children if _alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"children still running after {sig.name}: {left}"
        errors = [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
        assert len(errors) <= MAX_ERROR_LINES, f"{len(errors)} error lines in {took:.1f}s:\n" + "\n".join(
            errors[:20]
        )
        assert "Traceback" not in log, log[-3000:]

    def kill(self) -> None:
        for pid in _children(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _tail(self) -> str:
        return self.out.read_text(errors="replace")[-3000:]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "ADAPTER_", "BRIDGE_"))}


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
    dev = Command.start(args, tmp_path / "dev.out", _env(), tmp_path)
    try:
        dev.wait_for(marker)
        time.sleep(delay)
        dev.assert_stops(sig)
    finally:
        dev.kill()


@dataclass(frozen=True)
class ThreeProcesses:
    """`nav-adapter broker` and `nav-adapter sandbox` running, and the settings that fit them."""

    env: dict[str, str]
    cwd: Path


@pytest.fixture(scope="module")
def three_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreeProcesses]:
    cwd = tmp_path_factory.mktemp("three")
    kafka_port, sandbox_port = free_port(), free_port()
    broker = Command.start(["broker", "--port", str(kafka_port)], cwd / "broker.out", _env(), cwd)
    sandbox = None
    try:
        broker.wait_for("Ctrl-C stops it")
        printed = subprocess.run(
            [
                NAV_ADAPTER,
                "dev",
                "--print-env",
                "--kafka-port",
                str(kafka_port),
                "--sandbox-port",
                str(sandbox_port),
            ],
            env=_env(),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        env = _env()
        for line in printed.splitlines():
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                env[name] = shlex.split(value)[0]
        sandbox_args = shlex.split(printed.split("# and the sandbox: nav-adapter ", 1)[1].strip())
        sandbox = Command.start(sandbox_args, cwd / "sandbox.out", _env(), cwd)
        sandbox.wait_for("listening on")
        yield ThreeProcesses(env, cwd)
        # Last, as a newcomer would: Ctrl-C in each of the two shells.
        sandbox.assert_stops(signal.SIGINT)
        broker.assert_stops(signal.SIGINT)
    finally:
        if sandbox is not None:
            sandbox.kill()
        broker.kill()


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
    three_processes: ThreeProcesses, tmp_path: Path, role: str, moment: str, sig: signal.Signals, delay: float
) -> None:
    env = {
        **three_processes.env,
        "ADAPTER_HTTP_PORT": str(free_port()),
        "BRIDGE_HTTP_PORT": str(free_port()),
        "BRIDGE_FEEDS": '["trygdehendelser"]',
        "BRIDGE_CHECKPOINT_TOPIC": f"stopping-{tmp_path.name}.checkpoints",
    }
    command = Command.start([role], tmp_path / f"{role}.out", env, three_processes.cwd)
    try:
        # Logged as the role starts to join its consumer groups (lookups) or take its leases.
        command.wait_for(f"{role} running")
        time.sleep(delay)
        command.assert_stops(sig)
    finally:
        command.kill()
