"""The bridge under test: the NAV sandbox over real sockets, fresh topics per test, the bridge
in-process or as processes of its own, and a reader for what landed on a topic."""

import asyncio
import contextlib
import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapter.bridge.app import run_bridge
from adapter.kafka.offsets import exact_end_offsets, range_reader
from adapter.kafka.topics import partitions_of
from adapter.settings import BridgeSettings, KafkaSettings, NavSettings
from devtools.dev import dev_nav_settings, serve_sandbox
from devtools.devkeys import DevKeys
from devtools.embedded_broker import free_port
from devtools.settings_env import settings_env
from nav_lookup_contracts import headers as h
from nav_sandbox import SandboxConfig
from tests.support.processes import AdapterProcess, without_own_variables

LEASE_SESSION_MS = int(os.environ.get("TEST_BRIDGE_SESSION_MS", "1000"))
"""Tansu takes 1 s; a real Kafka wants at least its group.min.session.timeout.ms (6 s)."""


@dataclass(frozen=True)
class Record:
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, bytes]

    @property
    def sequence(self) -> int:
        return int(self.headers[h.NAV_SEQUENCE])

    @property
    def kind(self) -> str:
        return self.headers[h.NAV_RECORD].decode()


def kafka_of(bootstrap: str | KafkaSettings) -> KafkaSettings:
    """A PLAINTEXT address as a connection; a connection (a secured listener's) as it is."""
    return bootstrap if isinstance(bootstrap, KafkaSettings) else KafkaSettings(bootstrap_servers=bootstrap)


async def read_topic(bootstrap: str | KafkaSettings, topic: str) -> list[Record]:
    """Every record on `topic` now, in partition and offset order."""
    kafka = kafka_of(bootstrap)
    consumer = range_reader(kafka)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topic)
        if not partitions:
            return []
        consumer.assign(partitions)
        ends = await exact_end_offsets(kafka, consumer, partitions)
        for tp, begin in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, begin)  # seek_to_beginning can lose to the assignment's reset
        out: list[Record] = []
        async with asyncio.timeout(30):
            for tp in partitions:
                while await consumer.position(tp) < ends[tp]:
                    for r in (await consumer.getmany(tp, timeout_ms=500)).get(tp, []):
                        if r.offset < ends[tp]:
                            out.append(Record(tp.partition, r.offset, r.key, r.value, dict(r.headers)))
        return out
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Tally:
    produced: int
    published: int
    missing: int
    duplicated: int
    out_of_order: int

    def line(self, feed: str) -> str:
        return (
            f"{feed}: produced {self.produced}, published {self.published}, missing {self.missing}, "
            f"duplicated {self.duplicated}, out of order {self.out_of_order}"
        )


def tally(records: list[Record], produced: list[int]) -> Tally:
    """Exactly once (by sequence number) and in order per key (within each partition)."""
    events = [r for r in records if r.kind == "event"]
    seen = Counter(r.sequence for r in events)
    last: dict[tuple[int, bytes | None], int] = defaultdict(lambda: -1)
    out_of_order = 0
    for r in sorted(events, key=lambda r: (r.partition, r.offset)):
        if r.sequence <= last[r.partition, r.key]:
            out_of_order += 1
        last[r.partition, r.key] = r.sequence
    return Tally(
        produced=len(produced),
        published=len(events),
        missing=len(set(produced) - set(seen)),
        duplicated=sum(n - 1 for n in seen.values()),
        out_of_order=out_of_order,
    )


@dataclass
class FeedSandbox:
    url: str
    http: httpx.AsyncClient
    kafka: KafkaSettings
    nav: NavSettings

    async def command(self, feed: str, action: str, **body: Any) -> dict[str, Any]:
        response = await self.http.post(f"/_sandbox/feeds/{feed}/{action}", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def numbers(self, feed: str, tpnr: str | None = None) -> list[int]:
        params = {"tpnr": tpnr} if tpnr else {}
        response = await self.http.get(f"/_sandbox/feeds/{feed}", params=params)
        response.raise_for_status()
        return [e["sequence"] for e in response.json()["events"]]

    async def items(self, feed: str, tpnr: str | None = None) -> dict[int, dict[str, Any]]:
        params = {"tpnr": tpnr} if tpnr else {}
        response = await self.http.get(f"/_sandbox/feeds/{feed}", params=params)
        return {e["sequence"]: e["item"] for e in response.json()["events"]}


@contextlib.asynccontextmanager
async def feed_sandbox(
    bootstrap: str | KafkaSettings, keys: DevKeys, *, feed_events: int = 20
) -> AsyncIterator[FeedSandbox]:
    port = free_port()
    config = SandboxConfig(
        client_id="nav-adapter-dev",
        jwks_path=keys.jwks_path,
        issuer=f"http://127.0.0.1:{port}/",
        feed_events=feed_events,
    )
    async with serve_sandbox(config, "127.0.0.1", port) as url, httpx.AsyncClient(base_url=url) as http:
        nav = dev_nav_settings(url, keys.key_id, keys.private_key_path)
        yield FeedSandbox(
            url,
            http,
            kafka_of(bootstrap),
            nav.model_copy(update={"nav_timeout_seconds": 3.0}),
        )


def bridge_settings(sandbox: FeedSandbox, feeds: list[Any], **overrides: Any) -> BridgeSettings:
    """Fresh topics and groups for each call, so tests never see each other's records."""
    run = uuid.uuid4().hex[:8]
    entries = [{"feed": f} if isinstance(f, str) else f for f in feeds]
    for entry in entries:
        suffix = entry["feed"] + (f".{entry['tpnr']}" if entry.get("tpnr") else "")
        entry.setdefault("topic", f"test-{run}.events.{suffix}")
    values: dict[str, Any] = {
        "feeds": entries,
        "checkpoint_topic": f"test-{run}.checkpoints",
        "lease_topic_prefix": f"test-{run}.lease.",
        "lease_group_prefix": f"test-{run}.lease.",
        "lease_session_timeout_ms": LEASE_SESSION_MS,
        "idle_seconds": 0.05,
        "max_idle_seconds": 0.2,
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.5,
        "requests_per_minute": {"samordning": 60_000},
        "http_host": "127.0.0.1",
        "http_port": free_port(),
        **overrides,
    }
    return BridgeSettings.model_validate(values)


@contextlib.asynccontextmanager
async def bridge_in_process(sandbox: FeedSandbox, bridge: BridgeSettings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_bridge(sandbox.kafka, sandbox.nav, bridge, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def bridge_metric(bridge: BridgeSettings, name: str, **labels: str) -> float:
    """A sample of the running bridge's /metrics (0 when absent or not yet served)."""
    try:
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://{bridge.http_host}:{bridge.http_port}/metrics")).text
    except httpx.TransportError:
        return 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def wait_for_records(
    bootstrap: str | KafkaSettings, topic: str, count: int, *, timeout: float = 30.0, kind: str | None = None
) -> list[Record]:
    """The topic's records once it holds at least `count` (of `kind`), or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        records = await read_topic(bootstrap, topic)
        if sum(1 for r in records if kind is None or r.kind == kind) >= count:
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"{topic}: {len(records)} records after {timeout}s, wanted {count}")
        await asyncio.sleep(0.2)


class BridgeProcess(AdapterProcess):
    """`nav-adapter bridge` as a process of its own, configured through its environment."""

    role = "bridge"
    stop_timeout = 30.0

    def __init__(
        self,
        sandbox: FeedSandbox,
        bridge: BridgeSettings,
        log_path: Path,
        *,
        http_port: int = 0,
        extra_env: dict[str, str] | None = None,
        kafka_env: dict[str, str] | None = None,
    ) -> None:
        """`kafka_env`: the Kafka connection as these variables alone (none of the tests' own)."""
        # Processes of one test share the settings; each serves its health port of its own.
        env = {
            **settings_env(sandbox.kafka, sandbox.nav, bridge),
            "BRIDGE_HTTP_PORT": str(http_port),
            **(extra_env or {}),
        }
        if kafka_env is not None:
            env = without_own_variables(env, ("KAFKA_",)) | kafka_env
        super().__init__(env, log_path, isolated=kafka_env is not None)

    def log_count(self, text: str) -> int:
        return self.log_path.read_text(errors="replace").count(text) if self.log_path.exists() else 0

    async def wait_for_log(self, text: str, count: int, timeout: float = 30.0) -> float:
        """Seconds until `text` was logged `count` times in all (AssertionError after `timeout`)."""
        started = time.monotonic()
        while self.log_count(text) < count:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the bridge exited with {self.process.returncode}: see {self.log_path}")
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{text!r} not logged {count} times in {timeout}s: see {self.log_path}")
            await asyncio.sleep(0.02)
        return time.monotonic() - started
