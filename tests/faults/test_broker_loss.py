"""The broker connection drops for a while: the adapter reconnects, and every request is answered;
the processes' readiness follows the connection, and their liveness does not."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.devkeys import DevKeys
from devtools.embedded_broker import EmbeddedBroker, free_port
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records
from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack, steady_load
from tests.support.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.e2e


async def test_broker_connection_loss_and_reconnect(
    proxied_broker: tuple[EmbeddedBroker, int], tmp_path: Path
) -> None:
    broker, proxy_port = proxied_broker
    proxy = CuttableProxy(proxy_port, broker.port)
    await proxy.start()
    try:
        async with open_stack(broker.bootstrap_servers, tmp_path) as stack:
            assert (await stack.ask("frikort.brev", ident="14435512160", timeout=60))["status"] == "ok"
            sent: list[str] = []
            load = asyncio.create_task(steady_load(stack, sent, 300, per_second=50))
            await stack.wait_for(lambda: len(stack.replies.by_request_id) > 50, 60)
            proxy.cut()
            await asyncio.sleep(3)
            proxy.restore()
            await load
            await stack.wait_for(lambda: all(r in stack.replies.by_request_id for r in sent), timeout=120)
            print(f"\nbroker loss: sent {len(sent)}, answered {len(stack.replies.by_request_id) - 1}")
    finally:
        await proxy.stop()


@pytest.fixture
async def cuttable(proxied_broker: tuple[EmbeddedBroker, int]) -> AsyncIterator[tuple[str, CuttableProxy]]:
    broker, proxy_port = proxied_broker
    proxy = CuttableProxy(proxy_port, broker.port)
    await proxy.start()
    try:
        yield broker.bootstrap_servers, proxy
    finally:
        await proxy.stop()


async def _until_ready(http: httpx.AsyncClient, ready: bool, timeout: float = 60.0) -> dict[str, Any]:
    """The /isready body once its status says `ready` (or not); /isalive stays 200 throughout."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                answer = await http.get("/isready")
                if (answer.status_code == 200) is ready:
                    assert (await http.get("/isalive")).status_code == 200
                    body: dict[str, Any] = answer.json()
                    return body
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(0.1)


async def _readiness_follows_the_broker(http: httpx.AsyncClient, proxy: CuttableProxy) -> None:
    assert await _until_ready(http, True) == {"ready": True, "failing": []}
    proxy.cut()
    lost = await _until_ready(http, False)
    assert "broker_connected" in lost["failing"]
    proxy.restore()
    assert await _until_ready(http, True) == {"ready": True, "failing": []}


async def test_lookups_readiness_follows_the_broker_connection(
    cuttable: tuple[str, CuttableProxy], tmp_path: Path
) -> None:
    bootstrap, proxy = cuttable
    port = free_port()
    async with open_stack(bootstrap, tmp_path, in_process_adapter=False, http_port=port) as stack:
        env = {
            **stack.environment(),
            "ADAPTER_BROKER_CHECK_SECONDS": "0.5",
            "ADAPTER_DRAIN_TIMEOUT_SECONDS": "5",
        }
        process = AdapterProcess(env, tmp_path / "lookups.log")
        process.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                await _readiness_follows_the_broker(http, proxy)
            reply = await stack.ask("frikort.brev", ident="14435512160", timeout=90)
            assert reply["status"] == "ok"
            # A commit left unanswered by the outage must not hold the stop: the drain timeout
            # (5 s here) bounds it. In a thread: the proxy it stops through runs on this loop.
            assert await asyncio.to_thread(process.terminate, 60) == 0
        finally:
            process.kill()


async def test_bridge_readiness_follows_the_broker_connection(
    cuttable: tuple[str, CuttableProxy], dev_keys: DevKeys, tmp_path: Path
) -> None:
    bootstrap, proxy = cuttable
    async with feed_sandbox(bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(sandbox, ["trygdehendelser"])
        (feed,) = bridge.configured_feeds()
        process = BridgeProcess(
            sandbox,
            bridge,
            tmp_path / "bridge.log",
            http_port=bridge.http_port,
            extra_env={"BRIDGE_BROKER_CHECK_SECONDS": "0.5"},
        )
        process.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{bridge.http_port}") as http:
                await _readiness_follows_the_broker(http, proxy)
            await wait_for_records(bootstrap, feed.topic, 20, timeout=60)
            # In a thread: the proxy the process stops through runs on this event loop.
            assert await asyncio.to_thread(process.terminate) == 0
        finally:
            process.kill()
