"""A bench child process: `python -m bench.child ROLE CONFIG_JSON` (the sandbox: `sandbox PORT JWKS`).

Roles: `baseline` and `bare-feed` (`bench.baselines`), `adapter` (`run_lookups`) and `bridge`
(`run_bridge`), with the settings of `bench.config`, logging as `nav-adapter` does, until SIGTERM.
It prints `ready` first. With `profile_path` set it runs under pyinstrument; with `variant` set,
the experiments below are applied in this process first (the adapter's code is unchanged).
"""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.config import BridgeConfig, LookupsConfig


def loop_lag() -> None:
    """Probe, not an experiment: how late a 10 ms timer fires on the event loop, logged at exit.

    It shows whether latency comes from stalls of the loop (a long callback, a collection) or
    from steady queueing.
    """
    from adapter.lookup import app

    inner, log = app.run_lookups, logging.getLogger("bench.loop_lag")

    async def monitored(*args: Any) -> None:
        lags: list[float] = []

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            while True:
                before = loop.time()
                await asyncio.sleep(0.01)
                lags.append((loop.time() - before - 0.01) * 1000)

        task = asyncio.create_task(probe())
        try:
            await inner(*args)
        finally:
            task.cancel()
            lags.sort()
            if lags:
                pick = [lags[min(len(lags) - 1, int(len(lags) * q))] for q in (0.5, 0.9, 0.99, 0.999)]
                log.warning(
                    "loop lag ms over %d probes: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f; >50 ms: %d",
                    *(len(lags), *pick, lags[-1], sum(1 for x in lags if x > 50)),
                )

    app.run_lookups = monitored  # type: ignore[assignment]


def big_batches() -> None:
    """The bridge's producer with the lookups' batch size (`kafka_producer_batch_bytes`).

    With aiokafka's 16 KiB, a page's records for one partition may fill a batch, and every later
    send waits for it to drain.
    """
    from adapter.bridge import app
    from adapter.kafka import producer
    from adapter.settings import KafkaSettings, LookupSettings

    size = LookupSettings.model_fields["kafka_producer_batch_bytes"].default

    def bigger(kafka: KafkaSettings, **options: Any) -> Any:
        return producer.open_producer(kafka, **{**options, "max_batch_size": size})

    app.open_producer = bigger  # type: ignore[attr-defined]


VARIANTS: dict[str, Callable[[], None]] = {
    "loop-lag": loop_lag,
}
"""The adapter's experiments (`--what-if`); join several with "+"."""
BRIDGE_VARIANTS: dict[str, Callable[[], None]] = {"big-batches": big_batches}
"""The bridge's (`--bridge-what-if`)."""


async def _work(role: str, config: Any, stop: asyncio.Event) -> None:
    """The role's pipeline until `stop`. Each imports only its own (its RSS is measured), and looks
    the runtime's entry point up at call time, as a variant may have wrapped it."""
    if role == "baseline":
        from bench.baselines import BarePipeline

        await BarePipeline(config).run(stop)
    elif role == "bare-feed":
        from bench.baselines import BareFeedLoop

        await BareFeedLoop(config).run(stop)
    elif role == "adapter":
        from adapter.lookup import app

        dev = config.settings()
        await app.run_lookups(dev.kafka, dev.nav, dev.lookups, stop)
    else:
        from adapter.bridge import app as bridge_app

        dev = config.dev()
        await bridge_app.run_bridge(dev.kafka, dev.nav, config.bridge(), stop)


async def _sandbox(port: int, jwks: Path) -> None:
    from devtools.dev import DEV_CLIENT_ID, DEV_SUBSCRIPTION_KEY, serve_sandbox
    from nav_sandbox import SandboxConfig

    issuer = f"http://127.0.0.1:{port}/"
    config = SandboxConfig(
        client_id=DEV_CLIENT_ID, jwks_path=jwks, issuer=issuer, subscription_key=DEV_SUBSCRIPTION_KEY
    )
    async with serve_sandbox(config, "127.0.0.1", port) as url:  # no faults; uvicorn ends on SIGTERM
        print(f"ready {url}", flush=True)
        await asyncio.Event().wait()


async def _until_signalled(work: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await work(stop)


def main(argv: list[str]) -> int:
    role = argv[0]
    if role == "sandbox":
        asyncio.run(_sandbox(int(argv[1]), Path(argv[2])))
        return 0
    config = (LookupsConfig if role in ("baseline", "adapter") else BridgeConfig).from_json(argv[1])
    if role in ("adapter", "bridge"):
        from adapter.observability.logs import configure_logging

        configure_logging(config.log_level, json_lines=True)
    for name in filter(None, config.variant.split("+")):
        (BRIDGE_VARIANTS if role == "bridge" else VARIANTS)[name]()
    print("ready", flush=True)
    run = _until_signalled(lambda stop: _work(role, config, stop))
    if not config.profile_path:
        asyncio.run(run)
        return 0
    from pyinstrument import Profiler

    path, profiler = Path(config.profile_path), Profiler(interval=0.001)
    with profiler:
        asyncio.run(run)
    tree, flat = profiler.output_text(unicode=True), profiler.output_text(unicode=True, flat=True)
    path.write_text(f"{tree}\n== where the time is spent (self time, flat) ==\n{flat}")
    path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
