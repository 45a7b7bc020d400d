"""What a planned stop (SIGTERM) of one of two instances costs the other.

A dynamic member sends LeaveGroup as it stops and the other takes its partitions over at once. A
static member (`KAFKA_GROUP_INSTANCE_ID`, on NAIS the pod's name) does not: aiokafka sends no
LeaveGroup for static members (it knows LeaveGroup v0 and v1 only, which cannot name an instance),
so the stopped member keeps its partitions until its session times out. On NAIS a rollout's new
pod has a new name, so that wait is paid once per stopped pod; an empty `KAFKA_GROUP_INSTANCE_ID`
makes a dynamic member instead.
"""

import asyncio
import os
import time
import uuid
from pathlib import Path

import orjson
import pytest
from aiokafka import errors

from adapter.kafka import clients
from tests.support.processes import AdapterProcess
from tests.support.stack import Stack, open_stack

pytestmark = pytest.mark.e2e

SESSION_TIMEOUT_S = 10


async def group_members(stack: Stack) -> int:
    admin = clients.admin(stack.kafka)
    await admin.start()
    try:
        [described] = await admin.describe_consumer_groups([stack.settings.consumer_group])
        [group] = described.to_object()["groups"]
        return len(group["members"])
    finally:
        await admin.close()


async def _members_or_none(stack: Stack) -> int | None:
    try:
        return await group_members(stack)
    except errors.GroupCoordinatorNotAvailableError:  # the offsets topic is still being made
        return None


async def wait_for_members(stack: Stack, count: int, timeout: float) -> float:
    started = time.monotonic()
    while await _members_or_none(stack) != count:
        assert time.monotonic() - started < timeout, f"not {count} members of the group in {timeout} s"
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def ask_every_partition(stack: Stack) -> list[str]:
    """One lookup on each partition of team-a's request topic, so the stopped member's are asked."""
    topic = stack.topic("team-a")
    ids = []
    for partition in sorted(await stack.producer.partitions_for(topic)):
        request_id = str(uuid.uuid4())
        body = {
            "request_id": request_id,
            "operation": "frikort.brev",
            "scope": "nav:helserefusjon/v1/frikort",
            "ident": "14435512160",
        }
        await stack.producer.send_and_wait(topic, orjson.dumps(body), partition=partition)
        ids.append(request_id)
    return ids


@pytest.mark.parametrize("membership", ["dynamic", "static"])
async def test_a_planned_stop_hands_partitions_on_only_as_a_dynamic_member(
    kafka_bootstrap: str, membership: str, tmp_path: Path
) -> None:
    if os.environ.get("KAFKA_BROKER_KIND") == "tansu":
        pytest.skip("Tansu does not honour static membership")
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, kafka_session_timeout_ms=SESSION_TIMEOUT_S * 1000
    ) as stack:
        instances = []
        for name in ("a", "b"):
            # As on NAIS: the pod's name makes a static member unless KAFKA_GROUP_INSTANCE_ID is empty.
            own = {"NAIS_POD_NAME": f"nav-lookups-7d9f-{name}"}
            if membership == "dynamic":
                own["KAFKA_GROUP_INSTANCE_ID"] = ""
            instances.append(AdapterProcess({**stack.environment(), **own}, tmp_path / f"adapter-{name}.log"))
        stopping, staying = instances
        for instance in instances:
            instance.start()
        try:
            await wait_for_members(stack, 2, timeout=90)
            for request_id in await ask_every_partition(stack):  # both at work
                await stack.reply_for(request_id, timeout=60)
            assert stopping.terminate() == 0
            stopped = time.monotonic()
            members_after_stop = await group_members(stack)
            for request_id in await ask_every_partition(stack):
                await stack.reply_for(request_id, timeout=3 * SESSION_TIMEOUT_S)
            answered = time.monotonic() - stopped
            await wait_for_members(stack, 1, timeout=3 * SESSION_TIMEOUT_S)
        finally:
            stopping.kill()
            assert staying.terminate() == 0
    print(
        f"\n{membership} member stopped by SIGTERM: {members_after_stop} members right after, every "
        f"partition answered again {answered:.1f} s after the stop ({SESSION_TIMEOUT_S} s session timeout)"
    )
    # The stopped static member keeps its place (and partitions) until its session times out.
    assert members_after_stop == (2 if membership == "static" else 1)
