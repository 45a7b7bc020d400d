"""The caller example of docs/messages.md, run as written against the running adapter."""

import pytest
from faststream.kafka import KafkaBroker

from examples.caller import LookupCaller, search_request
from nav_lookup_contracts import OkReply
from nav_sandbox import PEOPLE
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


async def test_a_faststream_caller_gets_its_typed_reply_on_its_own_reply_topic(stack: Stack) -> None:
    reply_topic = stack.reply_topic("team-a")
    broker = KafkaBroker(stack.bootstrap)
    caller = LookupCaller(
        broker, request_topic=stack.topic("team-a"), reply_topic=reply_topic, group_id=reply_topic
    )
    async with broker:
        await broker.start()
        reply = await caller.ask(search_request(PEOPLE[0].ident), timeout=60)
    assert isinstance(reply, OkReply)
    assert {p["unntakId"] for p in reply.result} == {u.unntakId for u in PEOPLE[0].medlemskapsunntak}
    assert stack.replies.reply_topic[str(reply.request_id)] == reply_topic
