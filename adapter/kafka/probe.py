"""`BrokerProbe`: whether the broker answers now, for readiness.

The consumers and producers reconnect on their own and say nothing while the broker is away, so
readiness asks the broker itself: a metadata request every `interval`, over a client of its own
built from the one Kafka connection. Ready follows the last answer, both ways.
"""

import asyncio
import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient

from adapter.kafka import clients
from adapter.settings import KafkaSettings

log = logging.getLogger(__name__)


class BrokerProbe:
    def __init__(self, kafka: KafkaSettings, *, interval: float, timeout: float | None = None) -> None:
        self._kafka = kafka
        self._interval = interval
        self._timeout = timeout if timeout is not None else max(interval, 2.0)
        self.connected = False

    async def run(self, stop: asyncio.Event) -> None:
        """Ask until `stop` is set; `connected` says whether the last ask was answered in time."""
        admin: AIOKafkaAdminClient | None = None
        try:
            while not stop.is_set():
                try:
                    async with asyncio.timeout(self._timeout):
                        if admin is None:
                            admin = clients.admin(self._kafka)
                            await admin.start()
                        await admin.describe_cluster()
                    self._report(True)
                except Exception as exc:  # any failure to answer means: not connected now
                    self._report(False, exc)
                    if admin is not None and not self.connected:
                        await _close(admin)
                        admin = None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._interval)
        finally:
            self.connected = False
            if admin is not None:
                await _close(admin)

    def _report(self, answered: bool, exc: BaseException | None = None) -> None:
        if answered != self.connected:
            if answered:
                log.info("broker connection up")
            else:
                log.warning("broker connection lost (%s)", type(exc).__name__)
        self.connected = answered


async def _close(admin: AIOKafkaAdminClient) -> None:
    with contextlib.suppress(Exception):
        await admin.close()
