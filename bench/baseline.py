"""The bare pipeline: consume, one GET to the sandbox, produce NAV's raw body, commit.

What the adapter is measured against. Written with aiokafka and aiohttp directly: no validation,
no authorisation, no typed replies, no audit, one static token per scope fetched at start. It
keeps the two things no pipeline can drop: bounded concurrency (`max_in_flight`) and offsets
committed only past replies Kafka has acknowledged. Run as `python -m bench.baseline CONFIG_JSON`.
"""

import asyncio
import contextlib
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from adapter.nav.tokens import GRANT_TYPE, MaskinportenConfig, make_grant
from adapter.settings import Settings
from bench.config import PipelineConfig
from bench.workload import SCOPES
from contracts import headers as h
from contracts.operations import OPERATIONS_BY_NAME, Operation, Where

HTTP_STATUS_HEADER = "http_status"


@dataclass(frozen=True)
class Upstream:
    """Where each API lives, its key, and one token per scope: all the bare pipeline knows."""

    base_urls: dict[str, str]
    subscription_keys: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def request(
        self, op: Operation, body: dict[str, Any]
    ) -> tuple[str, list[tuple[str, str]], dict[str, str]]:
        """URL, query and headers for `body`, straight from the operations table (GET only)."""
        path_values: dict[str, str] = {}
        query: list[tuple[str, str]] = []
        headers = {"Authorization": "Bearer " + self.tokens[op.scope], "Nav-Call-Id": body["request_id"]}
        key = self.subscription_keys.get(op.api.key)
        if key is not None:
            headers["Ocp-Apim-Subscription-Key"] = key
        for param in op.params:
            value = body.get(param.field)
            if value is None:
                continue
            if param.where is Where.PATH:
                path_values[param.wire] = str(value)
            elif param.where is Where.QUERY:
                query.append((param.wire, str(value)))
            elif param.where is Where.HEADER:
                headers[param.wire] = str(value)
        return self.base_urls[op.api.key] + op.path.format_map(path_values), query, headers


def upstream_from(settings: Settings) -> Upstream:
    key = settings.subscription_key()
    apis = {op.api for op in OPERATIONS_BY_NAME.values()}
    return Upstream(
        base_urls={api.key: settings.base_url(api.key).rstrip("/") for api in apis},
        subscription_keys={
            api.key: key.get_secret_value()
            for api in apis
            if key is not None and settings.sends_subscription_key(api.key)
        },
    )


def maskinporten_config(settings: Settings) -> MaskinportenConfig:
    return MaskinportenConfig(
        token_url=settings.maskinporten_token_url,
        audience=settings.maskinporten_issuer,
        client_id=settings.maskinporten_client_id,
        key_id=settings.maskinporten_key_id,
        private_key_pem=settings.private_key_pem(),
    )


async def fetch_token(session: aiohttp.ClientSession, config: MaskinportenConfig, scope: str) -> str:
    """One signed grant, one POST to the token endpoint, the access token."""
    grant = make_grant(config, scope, time.time())
    async with session.post(
        config.token_url, data={"grant_type": GRANT_TYPE, "assertion": grant}
    ) as response:
        response.raise_for_status()
        token: str = (await response.json())["access_token"]
        return token


async def fetch_tokens(
    session: aiohttp.ClientSession, settings: Settings, scopes: list[str]
) -> dict[str, str]:
    config = maskinporten_config(settings)
    return {scope: await fetch_token(session, config, scope) for scope in scopes}


class Watermarks:
    """Per partition: offsets in the order taken; commit up to the first one not yet done."""

    def __init__(self) -> None:
        self._taken: dict[TopicPartition, deque[int]] = {}
        self._done: dict[TopicPartition, set[int]] = {}
        self._commit: dict[TopicPartition, int] = {}

    def take(self, tp: TopicPartition, offset: int) -> None:
        self._taken.setdefault(tp, deque()).append(offset)
        self._done.setdefault(tp, set())

    def finish(self, tp: TopicPartition, offset: int) -> None:
        taken, done = self._taken[tp], self._done[tp]
        done.add(offset)
        while taken and taken[0] in done:
            done.discard(first := taken.popleft())
            self._commit[tp] = first + 1

    def to_commit(self) -> dict[TopicPartition, int]:
        offsets, self._commit = self._commit, {}
        return offsets


class BarePipeline:
    def __init__(self, config: PipelineConfig) -> None:
        self._config = config
        self._settings = config.settings()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._marks = Watermarks()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        cfg = self._config
        connector = aiohttp.TCPConnector(limit=self._settings.nav_max_connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            upstream = upstream_from(self._settings)
            upstream.tokens.update(await fetch_tokens(session, self._settings, SCOPES))
            consumer = AIOKafkaConsumer(
                cfg.request_topic,
                bootstrap_servers=cfg.bootstrap,
                group_id=cfg.group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                **({"fetch_max_wait_ms": cfg.fetch_max_wait_ms} if cfg.fetch_max_wait_ms > 0 else {}),
            )
            producer = AIOKafkaProducer(
                bootstrap_servers=cfg.bootstrap,
                acks="all",
                linger_ms=2,
                max_batch_size=self._settings.kafka_producer_batch_bytes,
            )
            await consumer.start()
            await producer.start()
            committer = asyncio.create_task(self._commit_every(consumer, 0.2))
            try:
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=100)
                    for tp, records in batch.items():
                        for record in records:
                            await self._slots.acquire()
                            self._marks.take(tp, record.offset)
                            task = asyncio.create_task(self._handle(session, upstream, producer, tp, record))
                            self._tasks.add(task)
                            task.add_done_callback(self._tasks.discard)
                await asyncio.gather(*self._tasks, return_exceptions=True)
                await self._commit(consumer)
            finally:
                committer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await committer
                await producer.stop()
                await consumer.stop()

    async def _handle(
        self,
        session: aiohttp.ClientSession,
        upstream: Upstream,
        producer: AIOKafkaProducer,
        tp: TopicPartition,
        record: ConsumerRecord[bytes, bytes],
    ) -> None:
        try:
            body = orjson.loads(record.value)
            url, query, headers = upstream.request(OPERATIONS_BY_NAME[body["operation"]], body)
            async with session.get(url, params=query, headers=headers) as response:
                raw, status = await response.read(), response.status
            ack = await producer.send(
                self._config.reply_topic,
                raw,
                key=record.key,
                headers=[
                    (h.CORRELATION_ID, body["request_id"].encode()),
                    (HTTP_STATUS_HEADER, str(status).encode()),
                ],
            )
            await ack
            self._marks.finish(tp, record.offset)
        finally:
            self._slots.release()

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        offsets = self._marks.to_commit()
        if offsets:
            await consumer.commit(offsets)

    async def _commit_every(self, consumer: AIOKafkaConsumer, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._commit(consumer)


async def _main(config: PipelineConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await BarePipeline(config).run(stop)


def main(argv: list[str]) -> int:
    config = PipelineConfig.from_json(argv[0])
    print("ready", flush=True)
    asyncio.run(_main(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
