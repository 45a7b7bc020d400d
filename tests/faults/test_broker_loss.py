"""The broker connection drops for a while: the adapter reconnects, and every request is answered."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.embedded_broker import EmbeddedBroker, free_port
from tests.support.stack import open_stack, steady_load
from tests.support.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.e2e


@pytest.fixture
def proxied_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EmbeddedBroker, int]]:
    # A broker of its own, advertised at the proxy's port, so every client goes through the proxy.
    # It is Tansu whatever the suite runs on, and every client here must be told so.
    monkeypatch.setenv("KAFKA_BROKER_KIND", "tansu")
    proxy_port = free_port()
    with EmbeddedBroker(advertised_port=proxy_port) as broker:
        yield broker, proxy_port


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
