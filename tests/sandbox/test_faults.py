import asyncio
import time
from typing import Any

import httpx
import pytest

from nav_lookup_contracts.operations import OPERATIONS_BY_NAME
from nav_sandbox import PEOPLE
from tests.sandbox.conftest import Sandbox, sample_values

OP = OPERATIONS_BY_NAME["frikort.brev"]
OTHER = OPERATIONS_BY_NAME["aap.vedtak"]


async def _fault(sandbox: Sandbox, **spec: Any) -> httpx.Response:
    return await sandbox.client.post("/_sandbox/faults", json=spec)


async def _call(sandbox: Sandbox, op: Any = OP) -> httpx.Response:
    return await sandbox.call(op, sample_values(op, PEOPLE[0]))


async def test_latency_delays_the_answer(sandbox: Sandbox) -> None:
    await sandbox.token(OP.scope)
    assert (await _fault(sandbox, latency_ms=200)).status_code == 201
    started = time.monotonic()
    response = await _call(sandbox)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error(sandbox: Sandbox, status: int) -> None:
    await _fault(sandbox, status=status)
    response = await _call(sandbox)
    assert response.status_code == status
    assert response.json()["status"] == status


async def test_429_carries_retry_after(sandbox: Sandbox) -> None:
    await _fault(sandbox, status=429, retry_after=3)
    response = await _call(sandbox)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"


async def test_a_count_limited_fault_hits_only_the_next_requests(sandbox: Sandbox) -> None:
    await _fault(sandbox, status=503, count=2)
    statuses = [(await _call(sandbox)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert (await sandbox.client.get("/_sandbox/faults")).json() == {"faults": []}


@pytest.mark.parametrize("target", [OP.api.key, OP.name])
async def test_a_fault_can_be_limited_to_an_api_or_operation(sandbox: Sandbox, target: str) -> None:
    await _fault(sandbox, status=503, api=target)
    assert (await _call(sandbox)).status_code == 503
    assert (await _call(sandbox, OTHER)).status_code == 200


async def test_error_rate_zero_never_fails(sandbox: Sandbox) -> None:
    await _fault(sandbox, status=503, error_rate=0.0)
    assert [(await _call(sandbox)).status_code for _ in range(5)] == [200] * 5


async def test_error_rate_fails_some(sandbox: Sandbox) -> None:
    await _fault(sandbox, status=503, error_rate=0.5)
    statuses = {(await _call(sandbox)).status_code for _ in range(40)}
    assert statuses == {200, 503}


async def test_the_token_endpoint_fails_only_under_a_token_fault(sandbox: Sandbox) -> None:
    await _fault(sandbox, status=503)
    ok = await sandbox.fetch_token(sandbox.grant(OP.scope))
    assert ok.status_code == 200
    await sandbox.client.delete("/_sandbox/faults")
    await _fault(sandbox, status=503, api="token", count=1)
    assert (await sandbox.fetch_token(sandbox.grant(OP.scope))).status_code == 503
    assert (await sandbox.fetch_token(sandbox.grant(OP.scope))).status_code == 200
    response = await sandbox.call(OP, sample_values(OP, PEOPLE[0]), token=ok.json()["access_token"])
    assert response.status_code == 200


async def test_a_timeout_hangs_until_the_client_gives_up(sandbox: Sandbox) -> None:
    await sandbox.token(OP.scope)
    await _fault(sandbox, timeout=True, count=1)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_call(sandbox), timeout=0.2)


async def test_a_timeout_is_bounded_and_then_504(sandbox: Sandbox) -> None:
    # The test config bounds a hang at 0.5 s.
    await sandbox.token(OP.scope)
    await _fault(sandbox, timeout=True)
    started = time.monotonic()
    response = await _call(sandbox)
    assert response.status_code == 504
    assert 0.5 <= time.monotonic() - started < 5


async def test_a_hang_keeps_a_post_body_readable(sandbox: Sandbox) -> None:
    op = OPERATIONS_BY_NAME["pensjon.simuler_alderspensjon"]
    await sandbox.token(op.scope)
    await _fault(sandbox, timeout=True, error_rate=0.0, latency_ms=10)
    assert (await _call(sandbox, op)).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [{"status": 404}, {"error_rate": 2}, {"api": "nope"}, {"count": 0}, {"surprise": 1}],
)
async def test_a_bad_fault_is_refused(sandbox: Sandbox, spec: dict[str, Any]) -> None:
    response = await _fault(sandbox, **spec)
    assert response.status_code == 400
    assert (await sandbox.client.get("/_sandbox/faults")).json() == {"faults": []}


async def test_reset_forgets_tokens_faults_and_stats(sandbox: Sandbox) -> None:
    token = await sandbox.token(OP.scope)
    assert (await _call(sandbox)).status_code == 200
    await _fault(sandbox, status=503)
    assert (await sandbox.client.post("/_sandbox/reset")).status_code == 204
    stats = (await sandbox.client.get("/_sandbox/stats")).json()
    assert stats == {"token_fetches": {}, "consent_token_fetches": {}, "requests": {}}
    assert (await sandbox.client.get("/_sandbox/requests")).json() == []
    after = await sandbox.call(OP, sample_values(OP, PEOPLE[0]), token=token)
    assert after.status_code == 401


async def test_stats_count_requests_per_operation_and_status(sandbox: Sandbox) -> None:
    await _call(sandbox)
    await _fault(sandbox, status=502, count=1)
    await _call(sandbox)
    await sandbox.call(OP, sample_values(OP, PEOPLE[0]), token=None)
    stats = (await sandbox.client.get("/_sandbox/stats")).json()
    assert stats["requests"][OP.name] == {"200": 1, "401": 1, "502": 1}
    assert stats["token_fetches"] == {OP.scope: 1}
