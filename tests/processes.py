"""Running the adapter as a real process, configured through its environment like in production."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from adapter.settings import Settings

_SECRET_FIELDS = {"nav_subscription_key", "key_hmac_secret", "maskinporten_private_key"}


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a process needs to build `settings` again from `Settings()`."""
    env = {"KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers}
    for name, value in settings.model_dump(exclude={"kafka_bootstrap_servers"}).items():
        if value is None:
            continue
        if name in _SECRET_FIELDS:
            value = getattr(settings, name).get_secret_value()
        if isinstance(value, frozenset | set):
            value = sorted(value)
        elif isinstance(value, dict):
            value = {k: sorted(v) if isinstance(v, frozenset | set) else v for k, v in value.items()}
        text = json.dumps(value) if isinstance(value, list | dict | bool) else str(value)
        env[f"ADAPTER_{name.upper()}"] = text
    return env


class AdapterProcess:
    def __init__(self, settings: Settings, log_path: Path) -> None:
        self._env = {**os.environ, **settings_env(settings)}
        self._log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "adapter", "lookups"], env=self._env, stdout=log, stderr=log
        )
        log.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def terminate(self, timeout: float = 60) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


_IDENT = re.compile(r"(?<!\d)\d{11}(?!\d)")
_SECRETS = re.compile(
    r"(?i)bearer\s+(?!\[token\])\S|eyJ[A-Za-z0-9_-]{10,}|c2FtdHlra2U|sandbox-subscription-key"
)


def assert_no_personal_data(log: str) -> None:
    """No fødselsnummer, token, consent token or subscription key in what a process logged."""
    assert log.strip(), "the process logged nothing: nothing was checked"
    assert not _IDENT.search(log), "an 11-digit ident in the log"
    assert not _SECRETS.search(log), "a token or key in the log"
