"""What the adapter and the bridge are measured against: aiokafka and aiohttp used directly.

The bare lookup pipeline: consume, one GET to the sandbox, produce NAV's raw body, commit. No
validation, authorisation, typed replies or audit; one token per scope fetched at start. It keeps
what no pipeline can drop: bounded concurrency and offsets committed only past acknowledged replies.

The bare feed loop: GET a page, produce its items as NAV served them (keyed by number, with the
bridge's producer settings), await the acks, next page. No validation, continuity check,
checkpoint or lease; one token (again only on a 401). It keeps what no feed loop can drop: a page
is acknowledged before the next is asked for.

Both build their Kafka clients themselves: they are the baseline, not the adapter. Both run with
the adapter's collector settings (`adapter/heap.py`): with CPython's defaults the bare lookup
pipeline spent a seventh to a quarter of its CPU collecting garbage, which the comparison would
have counted against it.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from adapter.heap import freeze_startup_objects
from adapter.lookup.inflight import OffsetTracker
from adapter.nav.factory import maskinporten_config
from adapter.nav.tokens import GRANT_TYPE, make_grant
from adapter.settings import NavSettings
from bench.config import SCOPES, BridgeConfig, LookupsConfig
from nav_lookup_contracts import headers as h
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME, Operation

HTTP_STATUS_HEADER = "http_status"


@dataclass(frozen=True)
class Upstream:
    """Where each API lives, its key, and one token per scope: all the bare pipeline knows."""

    base_urls: dict[str, str]
    subscription_keys: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def request(
        self, op: Operation, body: dict[str, Any]
    ) -> tuple[str, tuple[tuple[str, str], ...], dict[str, str]]:
        """URL, query and headers for `body`, placed as the operations table says (GET only)."""
        placed = op.place(body)
        headers = {"Authorization": "Bearer " + self.tokens[op.scope], "Nav-Call-Id": body["request_id"]}
        if (key := self.subscription_keys.get(op.api.key)) is not None:
            headers["Ocp-Apim-Subscription-Key"] = key
        return self.base_urls[op.api.key] + placed.path, placed.query, headers | placed.headers


def upstream_from(nav: NavSettings) -> Upstream:
    """Looked up once: per request the bare pipeline only reads dicts."""
    apis = {op.api.key for op in OPERATIONS_BY_NAME.values()}
    keys = {api: nav.subscription_key_for(api) for api in apis}
    return Upstream(
        base_urls={api: nav.base_url(api).rstrip("/") for api in apis},
        subscription_keys={api: key.get_secret_value() for api, key in keys.items() if key is not None},
    )


async def fetch_tokens(session: aiohttp.ClientSession, nav: NavSettings, scopes: list[str]) -> dict[str, str]:
    """Per scope: one signed grant, one POST to the token endpoint, the access token."""
    config = maskinporten_config(nav)
    tokens: dict[str, str] = {}
    for scope in scopes:
        grant = {"grant_type": GRANT_TYPE, "assertion": make_grant(config, scope, time.time())}
        async with session.post(config.token_url, data=grant) as response:
            response.raise_for_status()
            tokens[scope] = (await response.json())["access_token"]
    return tokens


async def bare_pipeline(cfg: LookupsConfig, stop: asyncio.Event) -> None:
    settings, marks = cfg.settings(), OffsetTracker()  # the adapter's: the same commit rule by construction
    fetch = {"fetch_max_wait_ms": cfg.fetch_max_wait_ms} if cfg.fetch_max_wait_ms > 0 else {}
    consumer = AIOKafkaConsumer(
        cfg.request_topic,
        bootstrap_servers=cfg.bootstrap,
        group_id=cfg.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **fetch,
    )
    # The adapter's producer settings (`adapter/lookup/app.py`; idempotent where the broker can be,
    # `KafkaSettings.idempotent`), so only the work around differs.
    batch_bytes = settings.lookups.kafka_producer_batch_bytes
    producer = AIOKafkaProducer(
        bootstrap_servers=cfg.bootstrap,
        acks="all",
        linger_ms=2,
        max_batch_size=batch_bytes,
        enable_idempotence=settings.kafka.idempotent(),
    )
    slots, tasks = asyncio.Semaphore(cfg.max_in_flight), set[asyncio.Task[None]]()

    async def handle(tp: TopicPartition, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            body = orjson.loads(record.value)
            url, query, headers = upstream.request(OPERATIONS_BY_NAME[body["operation"]], body)
            async with http.get(url, params=query, headers=headers) as response:
                raw, status = await response.read(), response.status
            reply_headers = [
                (h.CORRELATION_ID, body["request_id"].encode()),
                (HTTP_STATUS_HEADER, b"%d" % status),
            ]
            await (await producer.send(cfg.reply_topic, raw, key=record.key, headers=reply_headers))
            marks.finish(tp, record.offset)
        finally:
            slots.release()

    async def commit(every: float | None = None) -> None:
        while True:
            if offsets := marks.to_commit():
                await consumer.commit(offsets)
                marks.committed(offsets)
            if every is None:
                return
            await asyncio.sleep(every)

    nav = settings.nav
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=nav.nav_max_connections)) as http:
        upstream = upstream_from(nav)
        upstream.tokens.update(await fetch_tokens(http, nav, SCOPES))
        await consumer.start()
        await producer.start()
        freeze_startup_objects()  # the adapter's collector settings, as `run_lookups` sets them
        committer = asyncio.create_task(commit(every=0.2))
        try:
            while not stop.is_set():
                for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                    for record in records:
                        await slots.acquire()
                        marks.take(tp, record.offset)
                        tasks.add(task := asyncio.create_task(handle(tp, record)))
                        task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks, return_exceptions=True)
            committer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await committer
            await commit()
        finally:
            committer.cancel()
            await producer.stop()
            await consumer.stop()


async def bare_feed_loop(cfg: BridgeConfig, stop: asyncio.Event) -> None:
    """`events` items onto the topic, then idle until `stop`, so the driver can still read /proc."""
    dev, table, number = cfg.dev(), cfg.table, cfg.table.sequence_field or ""
    nav = dev.nav
    url, key = nav.base_url(table.api.key) + table.path, nav.subscription_key_for(table.api.key)
    headers = {"Ocp-Apim-Subscription-Key": key.get_secret_value()} if key else {}
    # No linger and idempotent where the broker can be, as the bridge's producer (`adapter/bridge/app.py`).
    producer = AIOKafkaProducer(
        bootstrap_servers=cfg.bootstrap, acks="all", linger_ms=0, enable_idempotence=dev.kafka.idempotent()
    )

    async def token() -> None:
        headers["Authorization"] = "Bearer " + (await fetch_tokens(http, nav, [table.scope]))[table.scope]

    async def page(start: int) -> list[dict[str, Any]]:
        params = {table.params.start: str(start), table.params.page_size: str(cfg.page_size)}
        for _ in range(2):
            async with http.get(url, params=params, headers=headers) as response:
                if response.status == 401:  # the token ran out: a run longer than its lifetime
                    await token()
                    continue
                response.raise_for_status()
                items: list[dict[str, Any]] = orjson.loads(await response.read())[table.items_field]
                return items
        raise RuntimeError("401 with a fresh token")

    async with aiohttp.ClientSession() as http:
        await token()
        await producer.start()
        freeze_startup_objects()  # the bridge's collector settings, as `run_bridge` sets them
        try:
            produced, start = 0, table.first_sequence
            while produced < cfg.events and not stop.is_set():
                items = await page(start)
                acks = [
                    await producer.send(cfg.topic, orjson.dumps(item), key=b"%d" % item[number])
                    for item in items
                ]
                await asyncio.gather(*acks)
                produced += len(items)
                start = items[-1][number] + 1 if items else start
                if len(items) < cfg.page_size:
                    await asyncio.sleep(0.05)  # caught up before `events`: the feed is still growing
        finally:
            await producer.stop()
    await stop.wait()
