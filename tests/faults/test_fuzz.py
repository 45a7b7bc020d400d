"""Hostile input: every message ends as a reply or a dead letter, and the consumer keeps going."""

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapter.kafka.records import Incoming
from adapter.lookup.policy import LookupPolicy
from adapter.lookup.reply_to import ReplyRoutes
from adapter.lookup.service import LookupService
from nav_lookup_contracts import OPERATIONS, Operation
from nav_lookup_contracts.lookups import LookupBase
from tests.support.mutations import fuzz_message, valid_request
from tests.support.stack import open_stack

FUZZ_MESSAGES = 10_000
VALID_AMONG_THEM = 300


class NotFoundNav:
    async def call(self, op: Operation, request: LookupBase, *, deadline: float | None = None) -> Any:
        from adapter.nav.errors import NavRejected
        from nav_lookup_contracts import ErrorCode

        raise NavRejected(ErrorCode.NOT_FOUND, f"{op.name}: NAV answered 404", http_status=404)


POLICY = LookupPolicy(
    scopes_by_request_topic={"req": frozenset(op.scope for op in OPERATIONS)},
    caller_by_request_topic={"req": "fuzzer"},
    replies=ReplyRoutes({"req": "replies"}),
    dead_letter_topic="dlq",
    audit_topic="audit",
    allow_synthetic_idents=True,
    dedupe_window_seconds=0,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=6),
    max_leaves=30,
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "request_id": st.uuids().map(str) | st.text(max_size=40),
        "operation": st.sampled_from([op.name for op in OPERATIONS]) | st.text(max_size=30),
        "scope": st.sampled_from([op.scope for op in OPERATIONS]) | st.text(max_size=30),
        "ident": st.from_regex(r"\d{11}", fullmatch=True) | st.text(max_size=20),
        "reply_to": st.none() | st.text(max_size=30),
        "unntak_id": json_values,
        "consent_id": st.uuids().map(str) | json_values,
        "consent_token": st.text(max_size=60) | json_values,
        "deadline": json_values,
        "simulering": json_values,
    },
)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(json_values, request_like).map(lambda v: json.dumps(v).encode()) | st.binary(max_size=300)
)
def test_the_service_turns_any_bytes_into_a_reply_or_a_dead_letter(body: bytes) -> None:
    service = LookupService(nav=NotFoundNav(), policy=POLICY)
    out = asyncio.run(service.handle(Incoming("req", 0, 1, None, body, ())))
    topics = [o.topic for o in out]
    if topics == ["dlq"]:
        assert out[0].value == body
        return
    assert topics[1] == "audit"
    reply = orjson.loads(out[0].value)
    assert reply["status"] in {"ok", "error"}
    if reply["status"] == "error":
        assert reply["error"]["code"] in {
            "INVALID_REQUEST",
            "SCOPE_NOT_ALLOWED",
            "CONSENT_REQUIRED",
            "NOT_FOUND",
            "EXPIRED",
        }


@pytest.mark.e2e
async def test_ten_thousand_hostile_messages_through_kafka(kafka_bootstrap: str, tmp_path: Path) -> None:
    rng = random.Random(4711)
    async with open_stack(kafka_bootstrap, tmp_path, dedupe_window_seconds=0) as stack:
        valid_ids: list[str] = []
        sent = 0
        for i in range(FUZZ_MESSAGES + VALID_AMONG_THEM):
            if i % ((FUZZ_MESSAGES + VALID_AMONG_THEM) // VALID_AMONG_THEM) == 0:
                request = valid_request(rng)
                valid_ids.append(request["request_id"])
                value = orjson.dumps(request)
            else:
                value = fuzz_message(rng)
            await stack.producer.send(stack.topic("team-a"), value, key=str(i % 16).encode())
            sent += 1
        await stack.producer.flush()

        def settled() -> bool:
            return len(stack.replies.dead_letters) + len(stack.replies.audit) >= sent

        await stack.wait_for(settled, timeout=240)
        print(
            f"\nfuzz: {sent} messages, {len(stack.replies.dead_letters)} dead letters, "
            f"{len(stack.replies.audit)} replied and audited"
        )
        assert len(stack.replies.dead_letters) + len(stack.replies.audit) == sent
        assert all(stack.replies.by_request_id[r]["status"] == "ok" for r in valid_ids)
        assert len(stack.replies.dead_letters) > 0 and len(stack.replies.audit) > len(valid_ids)
