"""The whole adapter, running against a real broker and the NAV sandbox over real sockets.

`open_stack` gives fresh topics and a fresh consumer group each time, so tests never see each
other's messages; the adapter runs in-process or, for crash tests, as processes of its own.
"""

import asyncio
import contextlib
import ssl
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from adapter.kafka import clients
from adapter.kafka.topics import ensure_topics, partitions_of
from adapter.lookup.app import run_lookups
from adapter.settings import KafkaSettings, LookupSettings, NavSettings
from devtools.dev import dev_settings, serve_sandbox
from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import free_port
from devtools.settings_env import settings_env
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.operations import OPERATIONS, OPERATIONS_BY_NAME
from nav_sandbox import PEOPLE, SandboxConfig
from tests.support.tls import SandboxTls

ALL_SCOPES = frozenset(scope for op in OPERATIONS for scope in op.scopes)
LIMITED_SCOPES = frozenset({"nav:helse/v1/medlemskapsunntak"})


@dataclass
class Replies:
    """Collects every reply, dead letter and audit record, by correlation id or source offset."""

    by_request_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    reply_count: Counter[str] = field(default_factory=Counter)
    reply_headers: dict[str, dict[str, bytes]] = field(default_factory=dict)
    reply_topic: dict[str, str] = field(default_factory=dict)
    """Correlation id -> the topic its (latest) reply came on."""
    dead_letters: list[tuple[bytes, dict[str, bytes]]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Stack:
    bootstrap: str
    sandbox_url: str
    kafka: KafkaSettings
    nav: NavSettings
    settings: LookupSettings
    producer: AIOKafkaProducer
    replies: Replies
    http: httpx.AsyncClient

    def environment(self) -> dict[str, str]:
        """What `nav-adapter lookups` is configured with to run this stack's lookups."""
        return settings_env(self.kafka, self.nav, self.settings)

    def topic(self, caller: str) -> str:
        return self.settings.request_topic_prefix + caller

    def reply_topic(self, caller: str) -> str:
        return self.settings.reply_topic_of(caller)

    def own_topic(self, caller: str, name: str) -> str:
        """A topic the caller may name in reply_to: under the prefix its allow-list grants."""
        [prefix] = self.settings.caller_reply_to[caller]
        return prefix.removesuffix("*") + name

    async def correlation_ids_on(self, topic: str) -> list[str]:
        """The correlation ids of every record a topic holds now ("" for a record without one)."""
        consumer = clients.consumer(self.kafka, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, topic, timeout=1.0)
            if not partitions:
                return []
            consumer.assign(partitions)
            starts, ends = (
                await consumer.beginning_offsets(partitions),
                await consumer.end_offsets(partitions),
            )
            for tp in partitions:
                consumer.seek(tp, starts[tp])
            found: list[str] = []
            async with asyncio.timeout(30):
                while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                    for records in (await consumer.getmany(timeout_ms=500)).values():
                        found += [dict(r.headers).get(h.CORRELATION_ID, b"").decode() for r in records]
            return found
        finally:
            await consumer.stop()

    async def send_raw(self, caller: str, value: bytes, key: bytes | None = None) -> None:
        await self.producer.send_and_wait(self.topic(caller), value, key=key)

    async def ask(
        self, operation: str, caller: str = "team-a", timeout: float = 30.0, **fields: Any
    ) -> dict[str, Any]:
        request = {
            "request_id": str(uuid.uuid4()),
            "operation": operation,
            "scope": OPERATIONS_BY_NAME[operation].scope if operation in OPERATIONS_BY_NAME else "x",
            **fields,
        }
        await self.send_raw(caller, orjson.dumps(request), key=request["request_id"].encode())
        return await self.reply_for(request["request_id"], timeout)

    async def reply_for(self, request_id: str, timeout: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while request_id not in self.replies.by_request_id:
                self.replies.arrived.clear()
                await self.replies.arrived.wait()
        return self.replies.by_request_id[request_id]

    async def wait_for(self, predicate: Any, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.replies.arrived.clear()
                await self.replies.arrived.wait()


async def _collect(consumer: AIOKafkaConsumer, settings: LookupSettings, replies: Replies) -> None:
    async for record in consumer:
        headers = dict(record.headers)
        if record.topic == settings.dead_letter_topic:
            replies.dead_letters.append((record.value, headers))
        elif record.topic == settings.audit_topic:
            replies.audit.append(orjson.loads(record.value))
        else:
            correlation = headers.get(h.CORRELATION_ID, b"").decode()
            replies.by_request_id[correlation] = orjson.loads(record.value)
            replies.reply_count[correlation] += 1
            replies.reply_headers[correlation] = headers
            replies.reply_topic[correlation] = record.topic
        replies.arrived.set()


@contextlib.asynccontextmanager
async def open_stack(
    kafka_bootstrap: str | KafkaSettings,
    work_dir: Path,
    *,
    in_process_adapter: bool = True,
    sandbox_tls: SandboxTls | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """`kafka_bootstrap` is a PLAINTEXT address, or the whole connection for a secured listener.
    `sandbox_tls`: the sandbox serves HTTPS with that certificate (the adapter is not told the CA)."""
    given = kafka_bootstrap
    kafka_connection = given if isinstance(given, KafkaSettings) else KafkaSettings(bootstrap_servers=given)
    keys = make_dev_keys(work_dir)
    port = free_port()
    scheme = "https" if sandbox_tls else "http"
    config = SandboxConfig(
        client_id="nav-adapter-dev",
        jwks_path=keys.jwks_path,
        issuer=f"{scheme}://127.0.0.1:{port}/",
        subscription_key="sandbox-subscription-key",
    )
    run = uuid.uuid4().hex[:8]  # fresh topics per stack, so a shared Kafka needs no cleanup
    tls = sandbox_tls.server if sandbox_tls else None
    async with serve_sandbox(config, "127.0.0.1", port, tls=tls) as sandbox_url:
        base = dev_settings(kafka_connection, sandbox_url, keys.key_id, keys.private_key_path)
        nav_overrides = {k: v for k, v in overrides.items() if k in NavSettings.model_fields}
        nav = base.nav.model_copy(
            update={"nav_breaker_cooldown_seconds": 0.5, "nav_timeout_seconds": 2.0, **nav_overrides}
        )
        kafka = base.kafka
        settings = base.lookups.model_copy(
            update={
                "callers": {"team-a": ALL_SCOPES, "team-limited": LIMITED_SCOPES},
                "request_topic_prefix": f"test-{run}.requests.",
                "reply_topic_template": f"test-{run}.replies.{{caller}}",
                "caller_reply_to": {"team-a": frozenset({f"test-{run}.team-a.*"})},
                "dead_letter_topic": f"test-{run}.dlq",
                "audit_topic": f"test-{run}.audit",
                "consumer_group": f"test-{run}",
                "retry_topic_prefix": f"test-{run}.retry.",
                "retry_delays_seconds": [1.0, 2.0],
                "http_host": "127.0.0.1",
                "http_port": 0,
                **{k: v for k, v in overrides.items() if k not in nav_overrides},
            }
        )
        outputs = [*settings.reply_topics().values(), settings.dead_letter_topic, settings.audit_topic]
        await ensure_topics(kafka, [*settings.request_topics(), *settings.output_topics()])
        replies = Replies()
        # No consumer group: assigning partitions directly skips the group join.
        consumer = clients.consumer(kafka, auto_offset_reset="earliest", fetch_max_wait_ms=50)
        producer = clients.producer(kafka)
        await consumer.start()
        consumer.assign([tp for t in outputs for tp in await partitions_of(consumer, t)])
        await producer.start()
        stop = asyncio.Event()
        collector = asyncio.create_task(_collect(consumer, settings, replies))
        adapter = asyncio.create_task(run_lookups(kafka, nav, settings, stop)) if in_process_adapter else None
        verify = ssl.create_default_context(cafile=sandbox_tls.ca_path) if sandbox_tls else True
        async with httpx.AsyncClient(base_url=sandbox_url, verify=verify) as http:
            try:
                yield Stack(kafka.brokers(), sandbox_url, kafka, nav, settings, producer, replies, http)
            finally:
                stop.set()
                if adapter is not None:
                    await asyncio.wait_for(adapter, 60)
                collector.cancel()
                await asyncio.gather(collector, return_exceptions=True)
                await producer.stop()
                await consumer.stop()


async def steady_load(stack: Stack, sent: list[str], count: int, per_second: float) -> None:
    """`count` frikort lookups at `per_second`, keyed by person; their ids are added to `sent`."""
    for i in range(count):
        request_id = str(uuid.uuid4())
        person = PEOPLE[i % len(PEOPLE)]
        body = {
            "request_id": request_id,
            "operation": "frikort.brev",
            "scope": "nav:helserefusjon/v1/frikort",
            "ident": person.ident,
        }
        await stack.send_raw("team-a", orjson.dumps(body), key=person.ident.encode())
        sent.append(request_id)
        await asyncio.sleep(1 / per_second)
