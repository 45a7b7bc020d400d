import asyncio
import threading
import time

import httpx
from prometheus_client import CollectorRegistry, Counter

from adapter.nav.breaker import CircuitBreaker
from adapter.observability.health import Heartbeat, ReadinessChecks, beating, create_health_app, serve_health
from devtools.embedded_broker import free_port


def _client(checks: ReadinessChecks, registry: CollectorRegistry | None = None) -> httpx.AsyncClient:
    app = create_health_app(checks, registry or CollectorRegistry())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://health")


async def test_ready_only_when_every_check_passes() -> None:
    state = {"broker": False, "token": False}
    breakers = {"a": CircuitBreaker(threshold=1, cooldown=10), "b": CircuitBreaker(threshold=1, cooldown=10)}
    checks = ReadinessChecks(
        broker_connected=lambda: state["broker"],
        token_fetched=lambda: state["token"],
        some_api_available=lambda: any(b.state != "open" for b in breakers.values()),
    )
    async with _client(checks) as http:
        assert (await http.get("/isalive")).status_code == 200
        not_ready = await http.get("/isready")
        assert not_ready.status_code == 503
        assert not_ready.json()["failing"] == ["broker_connected", "token_fetched"]
        state.update(broker=True, token=True)
        assert (await http.get("/isready")).status_code == 200
        breakers["a"].failed()
        assert (await http.get("/isready")).status_code == 200
        breakers["b"].failed()
        all_open = await http.get("/isready")
        assert all_open.status_code == 503 and all_open.json()["failing"] == ["some_api_available"]


async def test_metrics_endpoint_serves_the_registry() -> None:
    registry = CollectorRegistry()
    Counter("example_things", "Things.", registry=registry).inc(3)
    checks = ReadinessChecks(broker_connected=lambda: True)
    async with _client(checks, registry) as http:
        body = (await http.get("/metrics")).text
    assert "example_things_total 3.0" in body


async def test_isalive_fails_while_the_event_loop_is_stuck_and_recovers_after() -> None:
    heartbeat = Heartbeat(timeout=0.5, interval=0.05)
    checks = ReadinessChecks(broker_connected=lambda: True)
    app = create_health_app(
        checks, CollectorRegistry(), heartbeat=heartbeat, main_loop=asyncio.get_running_loop()
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with beating(heartbeat), serve_health(app, "127.0.0.1", port):
        assert (await asyncio.to_thread(httpx.get, f"{url}/isalive")).status_code == 200
        seen: dict[str, httpx.Response] = {}

        def ask_while_stuck() -> None:
            time.sleep(1.5)  # well past the timeout: the loop below has not run since
            seen["alive"] = httpx.get(f"{url}/isalive", timeout=30)
            seen["ready"] = httpx.get(f"{url}/isready", timeout=30)

        asker = threading.Thread(target=ask_while_stuck)
        asker.start()
        asker.join()  # a synchronous call on the loop: the loop is stuck until the asker is done
        assert seen["alive"].status_code == 503
        assert seen["alive"].json()["alive"] is False and seen["alive"].json()["stalled_seconds"] >= 0.5
        # Readiness is computed on the stuck loop, which did not answer: not ready either.
        assert seen["ready"].status_code == 503 and seen["ready"].json()["failing"] == ["event_loop"]
        await asyncio.sleep(0.2)  # the loop runs again and beats
        alive = await asyncio.to_thread(httpx.get, f"{url}/isalive")
        assert alive.status_code == 200
        ready = await asyncio.to_thread(httpx.get, f"{url}/isready")
        assert ready.status_code == 200 and ready.json() == {"ready": True, "failing": []}


def test_heartbeat_goes_stale_after_its_timeout() -> None:
    now = [100.0]
    heartbeat = Heartbeat(timeout=30.0, clock=lambda: now[0])
    now[0] += 29.0
    assert heartbeat.alive()
    now[0] += 2.0
    assert not heartbeat.alive() and heartbeat.stalled() == 31.0
