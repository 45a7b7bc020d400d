"""`nav-adapter lookups` judges liveness by ADAPTER_LIVENESS_TIMEOUT_SECONDS.

A stuck event loop cannot be provoked from outside the product, so the unit test in
tests/adapter/test_health.py blocks a real loop; here the process shows that it reads the setting:
a timeout shorter than the half second between the loop's heartbeats makes /isalive fail on a
healthy process, and a timeout that is no time at all stops the start."""

import asyncio
from pathlib import Path

import httpx
import pytest

from devtools.embedded_broker import free_port
from tests.e2e.test_start_checks import exit_of
from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e


def test_a_liveness_timeout_of_no_time_stops_the_start() -> None:
    code, output, _ = exit_of({"KAFKA_BROKERS": "127.0.0.1:1", "ADAPTER_LIVENESS_TIMEOUT_SECONDS": "0"})
    assert code != 0 and "ADAPTER_LIVENESS_TIMEOUT_SECONDS: " in output


async def test_isalive_judges_the_heartbeat_by_the_configured_timeout(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    port = free_port()
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False, http_port=port) as stack:
        env = {**stack.environment(), "ADAPTER_LIVENESS_TIMEOUT_SECONDS": "0.01"}
        process = AdapterProcess(env, tmp_path / "lookups.log")
        process.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(60):
                while True:
                    try:
                        alive = await http.get("/isalive")
                        if alive.status_code == 503:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            assert alive.json()["alive"] is False and alive.json()["stalled_seconds"] >= 0
            # Nothing else is wrong with it: it answers lookups.
            reply = await stack.ask("frikort.brev", ident="14435512160", timeout=90)
            assert reply["status"] == "ok"
            assert process.terminate() == 0
        finally:
            process.kill()
