"""Running the adapter as a real process, configured through its environment like in production."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

OWN_VARIABLES = ("KAFKA_", "ADAPTER_", "BRIDGE_", "MASKINPORTEN_", "NAIS_")
"""The prefixes of the variables the adapter reads."""


def without_own_variables(env: dict[str, str], prefixes: tuple[str, ...] = OWN_VARIABLES) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(prefixes)}


class AdapterProcess:
    """`nav-adapter ROLE` (lookups by default) as a process of its own, configured through its
    environment; `isolated`, with none of the adapter's variables of the tests' own environment."""

    role = "lookups"
    stop_timeout = 60.0

    def __init__(self, env: dict[str, str], log_path: Path, *, isolated: bool = False) -> None:
        inherited = without_own_variables(dict(os.environ)) if isolated else os.environ
        self._env = {**inherited, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "adapter", self.role], env=self._env, stdout=log, stderr=log
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def terminate(self, timeout: float | None = None) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout or self.stop_timeout)


# Not inside a hex run: a trace id like ...f92935523221a0... holds 11 digits and no ident.
_IDENT = re.compile(r"(?<![0-9a-fA-F])\d{11}(?![0-9a-fA-F])")
_SECRETS = re.compile(
    r"(?i)bearer\s+(?!\[token\])\S|eyJ[A-Za-z0-9_-]{10,}|c2FtdHlra2U|sandbox-subscription-key"
)


def assert_no_personal_data(log: str) -> None:
    """No fødselsnummer, token, consent token or subscription key in what a process logged."""
    assert log.strip(), "the process logged nothing: nothing was checked"
    assert not _IDENT.search(log), "an 11-digit ident in the log"
    assert not _SECRETS.search(log), "a token or key in the log"


def wait_for_output(path: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    """The text of `path` once it holds `text`; fails when `process` exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, f"the process exited with {process.returncode}:\n{output}"
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed in {timeout}s:\n{path.read_text(errors='replace')}")
