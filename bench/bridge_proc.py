"""The real event bridge in a process of its own: `python -m bench.bridge_proc CONFIG_JSON`.

`run_bridge` with the adapter's `dev_settings` and the bench's feed, topics (events, checkpoints,
lease) and pacing (`BridgeBenchConfig.bridge_settings`), logging as `nav-adapter bridge` does,
until SIGTERM. With `profile_path` set it runs under pyinstrument; with `variant` set, the
experiments below are applied in this process first (the bridge's code is unchanged).
"""

import asyncio
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapter.bridge.app import run_bridge
from adapter.observability.logs import configure_logging
from bench.bridge_config import BridgeBenchConfig
from bench.profiling import run_profiled


def _producer_options(**overrides: Any) -> None:
    """The bridge's one producer (events and checkpoints) made with these options instead."""
    from adapter.bridge import app

    make = app.AIOKafkaProducer  # type: ignore[attr-defined]

    def producer(**options: Any) -> Any:
        return make(**{**options, **overrides})

    app.AIOKafkaProducer = producer  # type: ignore[attr-defined]


def big_batches() -> None:
    """Experiment: the bridge's producer with the lookups' batch size (`kafka_producer_batch_bytes`).

    With aiokafka's 16 KiB, a page's records for one partition may fill a batch, and every later
    send waits for it to drain.
    """
    from adapter.settings import Settings

    _producer_options(max_batch_size=Settings.model_fields["kafka_producer_batch_bytes"].default)


VARIANTS: dict[str, Callable[[], None]] = {
    "big-batches": big_batches,
}
"""Experiments, applied in the bridge's process only; join several with "+"."""


async def _main(config: BridgeBenchConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_bridge(config.settings(), config.bridge_settings(), stop)


def main(argv: list[str]) -> int:
    config = BridgeBenchConfig.from_json(argv[0])
    configure_logging(config.log_level, json_lines=True)
    for name in filter(None, config.variant.split("+")):
        VARIANTS[name]()
    print("ready", flush=True)
    if config.profile_path:
        run_profiled(_main(config), Path(config.profile_path))
    else:
        asyncio.run(_main(config))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
