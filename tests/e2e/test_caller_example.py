"""The caller example of docs/messages.md, run as written against the running adapter."""

import uuid

import pytest
from faststream.kafka import KafkaBroker

from adapter.kafka.topics import ensure_topics
from contracts import OkReply
from examples.caller import LookupCaller, search_request
from nav_sandbox import PEOPLE
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


async def test_a_faststream_caller_gets_its_typed_reply_on_its_own_topic(stack: Stack) -> None:
    reply_topic = f"caller-{uuid.uuid4().hex[:8]}.replies"
    await ensure_topics(stack.kafka, [reply_topic], partitions=1)
    broker = KafkaBroker(stack.bootstrap)
    caller = LookupCaller(
        broker, request_topic=stack.topic("team-a"), reply_topic=reply_topic, group_id=reply_topic
    )
    async with broker:
        await broker.start()
        reply = await caller.ask(search_request(PEOPLE[0].ident, reply_to=reply_topic), timeout=60)
    assert isinstance(reply, OkReply)
    assert {p["unntakId"] for p in reply.result} == {u.unntakId for u in PEOPLE[0].medlemskapsunntak}
