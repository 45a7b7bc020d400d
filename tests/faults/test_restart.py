"""A killed instance that restarts answers again soon: as a static member of its group
(`KAFKA_GROUP_INSTANCE_ID`, the pod's name on NAIS) it takes its partitions back without waiting
out the session timeout, and repeats at most what it had in flight."""

import asyncio
import os
import random
import statistics
import time
from pathlib import Path

import pytest

from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack, steady_load

pytestmark = pytest.mark.e2e

KILLS = 5
PER_SECOND = 30
SESSION_TIMEOUT_S = 10


async def test_a_restarted_static_member_answers_before_its_session_would_time_out(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    if os.environ.get("KAFKA_BROKER_KIND") == "tansu":
        pytest.skip("Tansu neither keeps a killed member's commits nor honours static membership")
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, kafka_session_timeout_ms=SESSION_TIMEOUT_S * 1000
    ) as stack:
        env = {**stack.environment(), "KAFKA_GROUP_INSTANCE_ID": "nav-lookups-0"}
        adapter = AdapterProcess(env, tmp_path / "adapter.log")
        adapter.start()
        sent: list[str] = []
        load = asyncio.create_task(steady_load(stack, sent, PER_SECOND * 120, per_second=PER_SECOND))
        rng = random.Random(20261202)
        recoveries: list[float] = []
        try:
            for _ in range(KILLS):
                answered_before = len(stack.replies.by_request_id)
                await stack.wait_for(lambda n=answered_before: len(stack.replies.by_request_id) > n + 30, 60)
                await asyncio.sleep(rng.uniform(0.0, 1.0))
                adapter.kill()
                killed_at, first_unseen = time.monotonic(), len(sent)
                adapter.start()
                # Only the restarted instance can answer what was sent after the kill.
                await stack.wait_for(
                    lambda i=first_unseen: any(r in stack.replies.by_request_id for r in sent[i:]), 60
                )
                recoveries.append(time.monotonic() - killed_at)
            load.cancel()
            await asyncio.gather(load, return_exceptions=True)
            await stack.wait_for(lambda: all(r in stack.replies.by_request_id for r in sent), timeout=120)
        finally:
            adapter.kill()
        duplicates = sum(count - 1 for count in stack.replies.reply_count.values() if count > 1)
        print(
            f"\nrestart test: {KILLS} SIGKILLs at {PER_SECOND}/s; seconds to the first answer after each: "
            f"{', '.join(f'{s:.1f}' for s in recoveries)} (median {statistics.median(recoveries):.1f}); "
            f"sent {len(sent)}, duplicate replies {duplicates} ({duplicates / KILLS:.1f} a kill)"
        )
        assert all(r in stack.replies.by_request_id for r in sent)
        assert duplicates <= KILLS * stack.settings.max_in_flight
        # A dynamic member would wait out the dead member's session (10 s) before anything moved;
        # a static one is back at work in about a second.
        assert max(recoveries) < SESSION_TIMEOUT_S / 2
