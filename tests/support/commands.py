"""`nav-adapter` commands run as a person runs them in a terminal: each in a session of its own,
Ctrl-C sent to its process group, and the README's three-process set-up (`nav-adapter broker`,
`nav-adapter sandbox`, then a role with the settings `nav-adapter dev --print-env` prints)."""

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

from devtools.embedded_broker import free_port
from tests.support.processes import wait_for_output

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


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "ADAPTER_", "BRIDGE_"))}


@dataclass(frozen=True)
class ThreeProcesses:
    """`nav-adapter broker` and `nav-adapter sandbox` running, and the settings that fit them."""

    env: dict[str, str]
    cwd: Path
    sandbox_url: str


@contextlib.contextmanager
def three_processes(cwd: Path) -> Iterator[ThreeProcesses]:
    """Broker and sandbox as the README starts them; stopped with Ctrl-C, each checked to stop."""
    kafka_port, sandbox_port = free_port(), free_port()
    broker = Command.start(["broker", "--port", str(kafka_port)], cwd / "broker.out", clean_env(), cwd)
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
            env=clean_env(),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        env = clean_env()
        for line in printed.splitlines():
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                env[name] = shlex.split(value)[0]
        sandbox_args = shlex.split(printed.split("# and the sandbox: nav-adapter ", 1)[1].strip())
        sandbox = Command.start(sandbox_args, cwd / "sandbox.out", clean_env(), cwd)
        sandbox.wait_for("listening on")
        yield ThreeProcesses(env, cwd, f"http://127.0.0.1:{sandbox_port}")
        # Last, as a newcomer would: Ctrl-C in each of the two shells.
        sandbox.assert_stops(signal.SIGINT)
        broker.assert_stops(signal.SIGINT)
    finally:
        if sandbox is not None:
            sandbox.kill()
        broker.kill()
