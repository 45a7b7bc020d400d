"""What an operator sees of `nav-adapter bridge` processes: liveness, readiness and the metrics of
each, the active one and its standby."""

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devtools.devkeys import DevKeys
from devtools.embedded_broker import free_port
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records

pytestmark = pytest.mark.e2e


def _sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    return None


async def _metrics(http: httpx.AsyncClient, port: int) -> str:
    return (await http.get(f"http://127.0.0.1:{port}/metrics")).text


async def _ready(url: str, timeout: float = 30.0) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(timeout):
        while True:
            try:
                if (await http.get("/isalive")).status_code == 200:
                    ready = await http.get("/isready")
                    if ready.status_code == 200:
                        return ready
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def test_the_active_bridge_and_its_standby_are_ready_and_report_their_feed(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": 10}])
        (feed,) = bridge.configured_feeds()
        ports = free_port(), free_port()
        first = BridgeProcess(sandbox, bridge, tmp_path / "first.log", http_port=ports[0])
        second = BridgeProcess(sandbox, bridge, tmp_path / "second.log", http_port=ports[1])
        try:
            first.start()
            await first.wait_for_log("lease acquired", 1)
            second.start()
            # The second joining makes the group rebalance; the lease comes back to the first.
            await first.wait_for_log("lease acquired", 2)
            await wait_for_records(kafka_bootstrap, feed.topic, 20)
            for port in ports:
                ready = await _ready(f"http://127.0.0.1:{port}")
                assert ready.json() == {"ready": True, "failing": []}
            async with httpx.AsyncClient() as http, asyncio.timeout(30):
                while True:  # the checkpoint follows the records: the position shows once written
                    active = await _metrics(http, ports[0])
                    if _sample(active, "nav_bridge_position") == 20:
                        break
                    await asyncio.sleep(0.1)
                standby = await _metrics(http, ports[1])
            assert _sample(active, "nav_bridge_active", feed=feed.id) == 1
            # Feed pages go through the NAV client: counted per API and status like lookups.
            seconds = "nav_adapter_nav_request_seconds_count"
            pages = _sample(active, seconds, api="trygdehendelser", status="200")
            assert pages is not None and pages >= 2
            assert _sample(active, "nav_adapter_circuit_state", api="trygdehendelser") == 0
            assert _sample(standby, "nav_bridge_active", feed=feed.id) in (None, 0)
            assert _sample(standby, seconds, api="trygdehendelser") is None
            assert first.terminate() == 0 and second.terminate() == 0
        finally:
            first.kill()
            second.kill()
