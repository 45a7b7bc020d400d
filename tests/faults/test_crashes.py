"""SIGKILL the adapter again and again under a steady load: no request may go unanswered."""

import asyncio
import random
import time
from pathlib import Path

import pytest

from tests.support.processes import AdapterProcess, assert_no_personal_data
from tests.support.stack import open_stack, steady_load

pytestmark = pytest.mark.e2e

KILLS = 20
REQUESTS = 3000


async def test_sigkill_under_load_loses_no_request(kafka_bootstrap: str, tmp_path: Path) -> None:
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, kafka_session_timeout_ms=2000
    ) as stack:
        adapter = AdapterProcess(stack.environment(), tmp_path / "adapter.log")
        adapter.start()
        sent: list[str] = []
        load = asyncio.create_task(steady_load(stack, sent, REQUESTS, per_second=100))
        rng = random.Random(20261123)
        started = time.monotonic()
        try:
            for _ in range(KILLS):
                # Kill only once this incarnation is answering, at a random point in its work.
                answered_before = len(stack.replies.by_request_id)
                await stack.wait_for(lambda n=answered_before: len(stack.replies.by_request_id) > n, 60)
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                adapter.kill()
                adapter.start()
            await load
            await stack.wait_for(lambda: all(r in stack.replies.by_request_id for r in sent), timeout=180)
        finally:
            adapter.kill()
        answered = sum(1 for r in sent if r in stack.replies.by_request_id)
        duplicates = sum(count - 1 for count in stack.replies.reply_count.values() if count > 1)
        print(
            f"\ncrash test: {KILLS} SIGKILLs in {time.monotonic() - started:.0f}s; "
            f"requests sent {len(sent)}, "
            f"answered {answered}, lost {len(sent) - answered}, duplicate replies {duplicates}"
        )
        assert answered == len(sent) == REQUESTS
        # Redeliveries prove the kills landed mid-work, between a reply and its commit.
        assert duplicates > 0
        assert all(stack.replies.by_request_id[r]["status"] == "ok" for r in sent)
        assert_no_personal_data((tmp_path / "adapter.log").read_text())


async def test_two_instances_rebalance_and_drain_on_sigterm(kafka_bootstrap: str, tmp_path: Path) -> None:
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, kafka_session_timeout_ms=2000
    ) as stack:
        first = AdapterProcess(stack.environment(), tmp_path / "first.log")
        second = AdapterProcess(stack.environment(), tmp_path / "second.log")
        first.start()
        sent: list[str] = []
        load = asyncio.create_task(steady_load(stack, sent, 1200, per_second=80))
        try:
            await stack.wait_for(lambda: len(stack.replies.by_request_id) > 50, 60)
            second.start()  # joins the group: partitions move while lookups are in flight
            await stack.wait_for(lambda: len(stack.replies.by_request_id) > 400, 60)
            assert first.terminate() == 0  # graceful: finishes and commits what it holds
            await stack.wait_for(lambda: len(stack.replies.by_request_id) > 700, 60)
            first.start()
            await load
            await stack.wait_for(lambda: all(r in stack.replies.by_request_id for r in sent), timeout=120)
        finally:
            first.kill()
            second.kill()
        lost = [r for r in sent if r not in stack.replies.by_request_id]
        duplicates = sum(count - 1 for count in stack.replies.reply_count.values() if count > 1)
        print(f"\nrebalance test: sent {len(sent)}, lost {len(lost)}, duplicate replies {duplicates}")
        assert not lost
        log = (tmp_path / "first.log").read_text()
        assert "lookups stopped" in log
        assert_no_personal_data(log + (tmp_path / "second.log").read_text())
