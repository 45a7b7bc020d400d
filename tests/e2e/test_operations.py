"""What an operator sees: health, readiness and metrics of a running adapter."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapter.lookup.app import run_lookups
from devtools.embedded_broker import free_port
from nav_sandbox import PEOPLE
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def operated(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Stack, str]]:
    port = free_port()
    async with open_stack(
        kafka_bootstrap, Path(tmp_path_factory.mktemp("ops")), in_process_adapter=False, http_port=port
    ) as stack:
        stop = asyncio.Event()
        adapter = asyncio.create_task(run_lookups(stack.kafka, stack.nav, stack.settings, stop))
        yield stack, f"http://127.0.0.1:{port}"
        stop.set()
        await asyncio.wait_for(adapter, 60)


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


async def test_alive_then_ready_once_connected_with_a_token(operated: tuple[Stack, str]) -> None:
    _, url = operated
    async with httpx.AsyncClient(base_url=url) as http:
        async with asyncio.timeout(30):
            while True:
                try:
                    if (await http.get("/isalive")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            while (ready := await http.get("/isready")).status_code != 200:
                assert set(ready.json()["failing"]) <= {"broker_connected", "token_fetched"}
                await asyncio.sleep(0.1)
        assert ready.json() == {"ready": True, "failing": []}


async def test_open_circuits_show_in_metrics(operated: tuple[Stack, str]) -> None:
    stack, url = operated
    await stack.http.post("/_sandbox/faults", json={"status": 503})
    try:
        # Every API fails: drive each breaker open with a lookup per API.
        asks = [
            stack.ask("medlemskapsunntak.get", unntak_id=PEOPLE[0].medlemskapsunntak[0].unntakId, timeout=60),
            stack.ask("frikort.brev", ident=PEOPLE[0].ident, timeout=60),
        ]
        await asyncio.gather(*asks)
        async with httpx.AsyncClient(base_url=url) as http:
            ready = (await http.get("/isready")).json()
            metrics = (await http.get("/metrics")).text
        circuits = _samples(metrics, "nav_adapter_circuit_state")
        assert circuits[(("api", "frikort"),)] >= 1
        assert circuits[(("api", "medlemskapsunntak"),)] >= 1
        assert circuits[(("api", "aap"),)] == 0
        assert ready["ready"] is True  # other APIs can still be answered
    finally:
        await stack.http.delete("/_sandbox/faults")
        await asyncio.sleep(0.6)


async def test_metrics_count_lookups_and_nav_calls_without_personal_data(operated: tuple[Stack, str]) -> None:
    stack, url = operated
    async with httpx.AsyncClient(base_url=url) as http:
        before = _samples((await http.get("/metrics")).text, "nav_adapter_lookups_total")
        reply = await stack.ask("frikort.brev", ident=PEOPLE[1].ident)
        assert reply["status"] == "ok"
        await stack.send_raw("team-a", b"not json")
        await stack.wait_for(lambda: len(stack.replies.dead_letters) > 0)
        text = (await http.get("/metrics")).text
    after = _samples(text, "nav_adapter_lookups_total")
    key = (("operation", "frikort.brev"), ("outcome", "ok"))
    assert after[key] == before.get(key, 0) + 1
    assert (
        _samples(text, "nav_adapter_nav_request_seconds_count")[(("api", "frikort"), ("status", "200"))] >= 1
    )
    assert _samples(text, "nav_adapter_dead_letters_total")[(("reason", "not JSON"),)] >= 1
    assert (
        _samples(text, "nav_adapter_token_fetches_total")[(("scope", "nav:helserefusjon/v1/frikort"),)] >= 1
    )
    assert "nav_adapter_consumer_lag" in text and "nav_adapter_lookups_in_flight" in text
    for person in PEOPLE:
        assert person.ident not in text
    assert reply["request_id"] not in text
