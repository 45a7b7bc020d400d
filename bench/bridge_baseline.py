"""The bare feed loop: GET a page, produce its items, await the acks, next page.

What the bridge is measured against. aiohttp and aiokafka directly: one token fetched at start
(again only on a 401), no validation, no continuity check, no checkpoint (the next number is kept
in memory), no lease. Each item is produced as the JSON NAV served, keyed by its number, with the
bridge's producer settings (`acks="all"`, its linger unless `linger_ms` says otherwise). It keeps
the one thing no feed loop can drop: a page is acknowledged before the next is asked for. After
`events` items it stops and waits for SIGTERM, so the driver can still read its figures from
/proc. Run as `python -m bench.bridge_baseline CONFIG_JSON`.
"""

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer

from devtools.dev import DEV_SUBSCRIPTION_KEY
from bench.baseline import fetch_tokens
from bench.bridge_config import BridgeBenchConfig
from bench.profiling import run_profiled


class BareFeedLoop:
    def __init__(self, config: BridgeBenchConfig) -> None:
        self._config = config
        table = config.table
        self._url = config.base_url + table.path
        self._sequence_field = table.sequence_field or ""
        self._items_field = table.items_field
        self._start_param, self._size_param = table.params.start, table.params.page_size
        self._headers = {"Ocp-Apim-Subscription-Key": DEV_SUBSCRIPTION_KEY}

    async def _token(self, session: aiohttp.ClientSession) -> None:
        scope = self._config.table.scope
        tokens = await fetch_tokens(session, self._config.settings(), [scope])
        self._headers["Authorization"] = "Bearer " + tokens[scope]

    async def _page(self, session: aiohttp.ClientSession, start: int) -> list[dict[str, Any]]:
        params = {self._start_param: str(start), self._size_param: str(self._config.page_size)}
        for _ in range(2):
            async with session.get(self._url, params=params, headers=self._headers) as response:
                if response.status == 401:  # the token ran out: a run longer than its lifetime
                    await self._token(session)
                    continue
                response.raise_for_status()
                items: list[dict[str, Any]] = orjson.loads(await response.read())[self._items_field]
                return items
        raise RuntimeError("401 with a fresh token")

    async def run(self) -> None:
        cfg = self._config
        producer = AIOKafkaProducer(bootstrap_servers=cfg.bootstrap, acks="all", linger_ms=cfg.linger_ms)
        async with aiohttp.ClientSession() as session:
            await self._token(session)
            await producer.start()
            try:
                produced, start = 0, cfg.table.first_sequence
                while produced < cfg.events:
                    items = await self._page(session, start)
                    acks = []
                    for item in items:
                        sequence: int = item[self._sequence_field]
                        value = orjson.dumps(item)
                        acks.append(await producer.send(cfg.topic, value, key=str(sequence).encode()))
                    await asyncio.gather(*acks)
                    produced += len(items)
                    if items:
                        start = items[-1][self._sequence_field] + 1
                    if len(items) < cfg.page_size:
                        await asyncio.sleep(0.05)  # caught up before `events`: the feed is still growing
            finally:
                await producer.stop()


async def _main(config: BridgeBenchConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    work = asyncio.create_task(BareFeedLoop(config).run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([work, stopping], return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        await work  # a failure ends the process, and the driver says so
        print(f"produced {config.events} events; waiting for SIGTERM", file=sys.stderr, flush=True)
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    await stopping


def main(argv: list[str]) -> int:
    config = BridgeBenchConfig.from_json(argv[0])
    print("ready", flush=True)
    if config.profile_path:  # to set its profile beside the bridge's
        run_profiled(_main(config), Path(config.profile_path))
    else:
        asyncio.run(_main(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
