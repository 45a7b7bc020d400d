"""The sandbox's own response time: the same GETs straight over HTTP (aiohttp), at a fixed rate."""

import asyncio
import time

import aiohttp

from adapter.settings import Settings
from bench.baseline import fetch_tokens, upstream_from
from bench.pacing import paced
from bench.workload import SCOPES, make_request
from contracts.operations import OPERATIONS_BY_NAME


async def direct_latencies(
    settings: Settings, rate: float, n: int, warmup: int = 20
) -> tuple[list[float], int, float]:
    """(latency in ms per answered request, failures, offered rate) for `n` GETs at `rate`."""
    latencies: list[float] = []
    failures = 0
    tasks: set[asyncio.Task[None]] = set()
    connector = aiohttp.TCPConnector(limit=settings.nav_max_connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        upstream = upstream_from(settings)
        upstream.tokens.update(await fetch_tokens(session, settings, SCOPES))

        async def one(i: int, record: bool) -> None:
            nonlocal failures
            body = make_request(i)
            url, query, headers = upstream.request(OPERATIONS_BY_NAME[body["operation"]], body)
            start = time.perf_counter()
            async with session.get(url, params=query, headers=headers) as response:
                await response.read()
                status = response.status
            if record:
                latencies.append((time.perf_counter() - start) * 1000)
                failures += status != 200

        await asyncio.gather(*(one(i, False) for i in range(warmup)))

        async def fire(i: int) -> None:
            task = asyncio.create_task(one(i, True))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        offered = await paced(rate, n, fire)
        await asyncio.gather(*tasks)
    return latencies, failures, offered
