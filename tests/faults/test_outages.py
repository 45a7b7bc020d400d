"""NAV outages, 429 storms and Maskinporten failures: requests move aside, and all are answered."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from nav_sandbox import PEOPLE
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

PERSON = PEOPLE[0]


def _frikort(ident: str = PERSON.ident) -> dict[str, str]:
    return {
        "request_id": str(uuid.uuid4()),
        "operation": "frikort.brev",
        "scope": "nav:helserefusjon/v1/frikort",
        "ident": ident,
    }


async def _send(stack: Stack, body: dict[str, str], key: bytes = b"same-key") -> None:
    await stack.send_raw("team-a", orjson.dumps(body), key=key)


async def _fault(stack: Stack, **spec: object) -> None:
    (await stack.http.post("/_sandbox/faults", json=spec)).raise_for_status()


def _outcomes(stack: Stack, request_id: str) -> list[str]:
    return [a["outcome"] for a in stack.replies.audit if a["request_id"] == request_id]


async def _final_outcomes(stack: Stack, request_id: str, timeout: float = 30.0) -> list[str]:
    """The request's audit outcomes once the last one is in: a reply and its audit record are two
    records on two topics, and the reply can be read first."""
    await stack.wait_for(lambda: any(o != "RETRY_SCHEDULED" for o in _outcomes(stack, request_id)), timeout)
    return _outcomes(stack, request_id)


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with open_stack(kafka_bootstrap, tmp_path_factory.mktemp("outages")) as running:
        yield running


@pytest.fixture(autouse=True)
async def _no_faults_left(stack: Stack) -> AsyncIterator[None]:
    yield
    await stack.http.delete("/_sandbox/faults")
    await asyncio.sleep(0.6)  # let any open circuit cool down before the next test


async def test_a_failing_request_moves_to_a_retry_topic_without_holding_its_partition(stack: Stack) -> None:
    assert (await stack.ask("frikort.brev", ident=PERSON.ident))["status"] == "ok"  # warm token
    await _fault(stack, status=503, count=3)  # exactly the in-call attempts of the first request
    first, second = _frikort(), _frikort()
    await _send(stack, first)
    await _send(stack, second)  # same key, so same partition, right behind the first
    second_reply = await stack.reply_for(second["request_id"])
    assert second_reply["status"] == "ok"
    assert first["request_id"] not in stack.replies.by_request_id, "the first was held in its partition"
    first_reply = await stack.reply_for(first["request_id"])
    assert first_reply["status"] == "ok"
    assert await _final_outcomes(stack, first["request_id"]) == ["RETRY_SCHEDULED", "ok"]


async def test_a_lasting_outage_ends_in_a_typed_error_after_every_retry(stack: Stack) -> None:
    await _fault(stack, status=503)
    body = _frikort()
    await _send(stack, body)
    reply = await stack.reply_for(body["request_id"], timeout=60)
    assert reply["error"]["code"] == "UPSTREAM_UNAVAILABLE" and reply["error"]["retryable"] is True
    outcomes = await _final_outcomes(stack, body["request_id"])
    assert outcomes == ["RETRY_SCHEDULED", "RETRY_SCHEDULED", "UPSTREAM_UNAVAILABLE"]
    await stack.http.delete("/_sandbox/faults")
    await asyncio.sleep(0.6)  # the circuit's cooldown
    assert (await stack.ask("frikort.brev", ident=PERSON.ident, timeout=30))["status"] == "ok"


async def test_a_429_storm_is_ridden_out_with_retry_after(stack: Stack) -> None:
    await _fault(stack, status=429, retry_after=1, count=60)
    bodies = [_frikort(PEOPLE[i % len(PEOPLE)].ident) for i in range(40)]
    for i, body in enumerate(bodies):
        await _send(stack, body, key=str(i).encode())
    replies = [await stack.reply_for(b["request_id"], timeout=90) for b in bodies]
    assert [r["status"] for r in replies] == ["ok"] * len(bodies)
    stats = (await stack.http.get("/_sandbox/stats")).json()
    assert "429" in orjson.dumps(stats).decode()


async def test_token_endpoint_failures_are_retried_and_then_recover(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path) as stack:
        # Consuming, with a token for the scope: whatever the start-up did is over.
        assert (await stack.ask("frikort.brev", ident=PERSON.ident, timeout=60))["status"] == "ok"
        # NAV now refuses that token and Maskinporten fails the next four grants, so the next
        # lookup can only be answered with a token fetched through those failures.
        (await stack.http.post("/_sandbox/tokens/expire")).raise_for_status()
        await _fault(stack, api="token", status=503, count=4)
        reply = await stack.ask("frikort.brev", ident=PERSON.ident, timeout=60)
        assert reply["status"] == "ok"
        assert (await stack.http.get("/_sandbox/faults")).json()["faults"] == [], "no grant failed"
        assert (await _final_outcomes(stack, reply["request_id"]))[-1] == "ok"


async def test_a_refused_grant_is_unauthorized_not_retried(kafka_bootstrap: str, tmp_path: Path) -> None:
    async with open_stack(kafka_bootstrap, tmp_path, maskinporten_client_id="unknown-client") as stack:
        reply = await stack.ask("frikort.brev", ident=PERSON.ident)
        assert reply["error"]["code"] == "UNAUTHORIZED" and reply["error"]["retryable"] is False
