import httpx
from prometheus_client import CollectorRegistry, Counter

from adapter.nav.breaker import CircuitBreaker
from adapter.observability.health import ReadinessChecks, create_health_app


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
