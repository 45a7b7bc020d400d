"""SIGTERM while the broker connection is frozen (open, but nothing comes back): the lookups and the
bridge still stop within their drain timeout and a margin, and what the lookups could not commit is
answered after a restart."""

import asyncio
import time
from pathlib import Path

import pytest

from devtools.devkeys import DevKeys
from devtools.embedded_broker import EmbeddedBroker
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records
from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack, steady_load
from tests.support.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.e2e

DRAIN_SECONDS = 5
STOP_BOUND_SECONDS = 30
"""The drain timeout plus a margin generous enough for a busy machine."""
REQUEST_TIMEOUT_SECONDS = 15
"""The processes' KAFKA_REQUEST_TIMEOUT_MS: above their 10 s session timeouts, below the 40 s default
so that the freeze need not last as long."""
FROZEN_SECONDS = REQUEST_TIMEOUT_SECONDS + 5
"""Past the request timeout: the clients' requests have failed and they have reconnected into a
connection that never answers, which is when aiokafka's own stop used to wait without end."""
FROZEN_ENV = {"KAFKA_REQUEST_TIMEOUT_MS": str(REQUEST_TIMEOUT_SECONDS * 1000)}


def _stop_timed(process: AdapterProcess | BridgeProcess) -> tuple[int, float]:
    started = time.monotonic()
    code = process.terminate(STOP_BOUND_SECONDS)
    return code, time.monotonic() - started


async def test_lookups_stop_within_the_drain_timeout_when_the_broker_freezes(
    proxied_broker: tuple[EmbeddedBroker, int], tmp_path: Path
) -> None:
    broker, proxy_port = proxied_broker
    proxy = CuttableProxy(proxy_port, broker.port)
    await proxy.start()
    try:
        async with open_stack(broker.bootstrap_servers, tmp_path, in_process_adapter=False) as stack:
            env = {**stack.environment(), **FROZEN_ENV, "ADAPTER_DRAIN_TIMEOUT_SECONDS": str(DRAIN_SECONDS)}
            process = AdapterProcess(env, tmp_path / "lookups.log")
            process.start()
            sent: list[str] = []
            load = asyncio.create_task(steady_load(stack, sent, 100_000, per_second=50))
            try:
                await stack.wait_for(lambda: len(stack.replies.by_request_id) > 20, 90)
                proxy.freeze()
                await asyncio.sleep(FROZEN_SECONDS)
                # In a thread: the proxy the process stops through runs on this event loop.
                code, took = await asyncio.to_thread(_stop_timed, process)
                print(f"\nlookups stop with the broker frozen: {took:.1f} s (drain {DRAIN_SECONDS} s)")
                assert code == 0
                # The freeze was met: a client's stop was abandoned, or the drain's commit was.
                log = (tmp_path / "lookups.log").read_text()
                assert "did not stop within" in log or "not committed within the drain timeout" in log

                # Nothing was counted as done that was not: a restart answers every request sent.
                load.cancel()
                proxy.restore()
                process = AdapterProcess(env, tmp_path / "lookups-again.log")
                process.start()
                await stack.wait_for(lambda: all(r in stack.replies.by_request_id for r in sent), 120)
                assert await asyncio.to_thread(process.terminate, STOP_BOUND_SECONDS) == 0
            finally:
                load.cancel()
                process.kill()
                proxy.restore()
    finally:
        await proxy.stop()


async def test_bridge_stops_within_the_drain_timeout_when_the_broker_freezes(
    proxied_broker: tuple[EmbeddedBroker, int], dev_keys: DevKeys, tmp_path: Path
) -> None:
    broker, proxy_port = proxied_broker
    proxy = CuttableProxy(proxy_port, broker.port)
    await proxy.start()
    try:
        async with feed_sandbox(broker.bootstrap_servers, dev_keys) as sandbox:
            bridge = bridge_settings(sandbox, ["trygdehendelser"])
            (feed,) = bridge.configured_feeds()
            process = BridgeProcess(
                sandbox,
                bridge,
                tmp_path / "bridge.log",
                http_port=bridge.http_port,
                extra_env={**FROZEN_ENV, "BRIDGE_DRAIN_TIMEOUT_SECONDS": str(DRAIN_SECONDS)},
            )
            process.start()
            try:
                await wait_for_records(broker.bootstrap_servers, feed.topic, 20, timeout=90)
                proxy.freeze()
                await asyncio.sleep(FROZEN_SECONDS)
                code, took = await asyncio.to_thread(_stop_timed, process)
                print(f"\nbridge stop with the broker frozen: {took:.1f} s (drain {DRAIN_SECONDS} s)")
                assert code == 0
            finally:
                process.kill()
                proxy.restore()
    finally:
        await proxy.stop()
