"""The Python caller of examples/caller.py, run as written against the running adapter."""

import asyncio
import json
import sys
from pathlib import Path

import pytest

from examples.caller import LookupCaller, search_request
from nav_lookup_contracts import OkReply
from nav_sandbox import PEOPLE
from tests.support.processes import AdapterProcess
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]


async def test_a_python_caller_gets_its_typed_reply_on_its_own_reply_topic(stack: Stack) -> None:
    reply_topic = stack.reply_topic("team-a")
    async with LookupCaller(
        stack.bootstrap, request_topic=stack.topic("team-a"), reply_topic=reply_topic
    ) as caller:
        reply = await caller.ask(search_request(PEOPLE[0].ident), timeout=60)
    assert isinstance(reply, OkReply)
    assert {p["unntakId"] for p in reply.result} == {u.unntakId for u in PEOPLE[0].medlemskapsunntak}
    # The test's own reader of the reply topics may see the reply a little after the caller did.
    await stack.reply_for(str(reply.request_id), timeout=60)
    assert stack.replies.reply_topic[str(reply.request_id)] == reply_topic


async def _nav_calls(stack: Stack) -> int:
    stats = (await stack.http.get("/_sandbox/stats")).json()
    return sum(n for by_status in stats["requests"].values() for n in by_status.values())


async def test_a_request_sent_again_with_its_request_id_gets_the_same_reply_without_a_nav_call(
    stack: Stack,
) -> None:
    request = search_request(PEOPLE[1].ident)
    async with LookupCaller(
        stack.bootstrap, request_topic=stack.topic("team-a"), reply_topic=stack.reply_topic("team-a")
    ) as caller:
        first = await caller.ask(request, timeout=60)
        calls = await _nav_calls(stack)
        again = await caller.ask(request, timeout=60)
    assert isinstance(first, OkReply)
    assert again == first
    assert await _nav_calls(stack) == calls
    await stack.wait_for(lambda: stack.replies.reply_count[str(request.request_id)] >= 2, timeout=60)
    assert stack.replies.reply_count[str(request.request_id)] == 2


async def _run_caller_instance(stack: Stack, ident: str, count: int) -> tuple[int, list[dict[str, str]], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "examples.caller",
        ident,
        f"--bootstrap={stack.bootstrap}",
        f"--request-topic={stack.topic('team-a')}",
        f"--reply-topic={stack.reply_topic('team-a')}",
        f"--count={count}",
        "--timeout=60",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 300)
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    return process.returncode or 0, lines, stderr.decode()[-2000:]


async def test_two_instances_of_a_caller_each_get_every_one_of_their_own_replies(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    count = 12  # keyed by request_id, they spread over every partition of the reply topic
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        try:
            (code_a, replies_a, err_a), (code_b, replies_b, err_b) = await asyncio.gather(
                _run_caller_instance(stack, PEOPLE[0].ident, count),
                _run_caller_instance(stack, PEOPLE[1].ident, count),
            )
            assert code_a == 0, err_a
            assert code_b == 0, err_b
            # What the adapter wrote, as the test's own reader of the reply topic saw it.
            await stack.wait_for(lambda: len(stack.replies.by_request_id) >= 2 * count, timeout=60)
        finally:
            assert adapter.terminate() == 0

    ids_a = {r["request_id"] for r in replies_a}
    ids_b = {r["request_id"] for r in replies_b}
    assert len(replies_a) == len(ids_a) == count
    assert len(replies_b) == len(ids_b) == count
    assert not ids_a & ids_b
    assert all(r["status"] == "ok" for r in [*replies_a, *replies_b])
    # Both instances read the same reply topic, which held the other's replies too.
    assert ids_a | ids_b == set(stack.replies.by_request_id)
    assert {stack.replies.reply_topic[i] for i in ids_a | ids_b} == {stack.reply_topic("team-a")}
