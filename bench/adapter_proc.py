"""The real adapter in a process of its own: `python -m bench.adapter_proc CONFIG_JSON`.

Builds the settings `dev_settings` gives (every scope for the `dev` caller) with the bench's
topics, group, concurrency and HTTP transport, logs as `nav-adapter lookups` does, and runs
`run_lookups` until SIGTERM. With `profile_path` set it runs under pyinstrument.
"""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from adapter.lookup.app import run_lookups
from adapter.observability.logs import configure_logging
from bench.config import PipelineConfig


def async_context_use() -> None:
    """Experiment: FastStream's `Context` resolved on the event loop instead of a worker thread.

    The adapter's handler takes `message: KafkaMessage`, a `Context` field whose `use` is a plain
    function, which fast_depends runs with `anyio.to_thread.run_sync`: one thread hop per message,
    in the subscriber's serial consume loop. Making `use` a coroutine function removes the hop.
    """
    from faststream._internal.context.context_type import Context

    sync_use = Context.use

    async def use(self: Context, /, **kwargs: Any) -> dict[str, Any]:
        return sync_use(self, **kwargs)

    Context.use = use  # type: ignore[assignment,method-assign]


class _ContextFreeSubscriber:
    """Registers `handler(message)` as a handler with no parameters that reads the message itself."""

    def __init__(self, broker: Any, inner: Any) -> None:
        self._broker = broker
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __call__(self, handler: Callable[[Any], Awaitable[None]] | None = None, **options: Any) -> Any:
        if handler is None:
            return lambda h: self(h, **options)
        context = self._broker.context

        async def on_message() -> None:
            await handler(context.get_local("message"))

        self._inner(on_message, **options)
        return handler


def context_free_handler() -> None:
    """Experiment: the lookup handler without `message: KafkaMessage` in its signature.

    Any fast_depends custom field (FastStream's `Context`) costs the serial consume loop an anyio
    task group and a worker-thread hop per message, so under load it takes about one message per
    event-loop turn. A handler with no parameters that reads `broker.context.get_local("message")`
    has neither. Applied by wrapping `KafkaBroker.subscriber`; the adapter's code is unchanged.
    """
    from faststream.kafka import KafkaBroker

    subscriber = KafkaBroker.subscriber

    def wrapped(self: KafkaBroker, *topics: Any, **options: Any) -> Any:
        return _ContextFreeSubscriber(self, subscriber(self, *topics, **options))

    KafkaBroker.subscriber = wrapped  # type: ignore[method-assign,assignment]


def loop_lag() -> None:
    """Probe: how late a 10 ms timer fires on the adapter's event loop, logged at exit.

    Not an experiment on the adapter: it shows whether latency comes from stalls of the loop
    (a long callback, a collection) or from steady queueing.
    """
    global run_lookups
    inner = run_lookups
    log = logging.getLogger("bench.loop_lag")

    async def monitored(settings: Any, stop: asyncio.Event) -> None:
        lags: list[float] = []

        async def probe() -> None:
            loop = asyncio.get_running_loop()
            while True:
                before = loop.time()
                await asyncio.sleep(0.01)
                lags.append((loop.time() - before - 0.01) * 1000)

        task = asyncio.create_task(probe())
        try:
            await inner(settings, stop)
        finally:
            task.cancel()
            lags.sort()
            if lags:
                pick = [lags[min(len(lags) - 1, int(len(lags) * q))] for q in (0.5, 0.9, 0.99, 0.999)]
                log.warning(
                    "loop lag ms over %d probes: p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f; >50 ms: %d",
                    len(lags),
                    *pick,
                    lags[-1],
                    sum(1 for x in lags if x > 50),
                )

    run_lookups = monitored


VARIANTS: dict[str, Callable[[], None]] = {
    "async-context": async_context_use,
    "context-free-handler": context_free_handler,
    "loop-lag": loop_lag,
}
"""Experiments, applied in the adapter's process only; join several with "+"."""


def apply_variant(variant: str) -> None:
    for name in filter(None, variant.split("+")):
        VARIANTS[name]()


async def _main(config: PipelineConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_lookups(config.settings(), stop)


def main(argv: list[str]) -> int:
    config = PipelineConfig.from_json(argv[0])
    configure_logging(config.log_level, json_lines=True)
    apply_variant(config.variant)
    print("ready", flush=True)
    if not config.profile_path:
        asyncio.run(_main(config))
        return 0
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    with profiler:
        asyncio.run(_main(config))
    path = Path(config.profile_path)
    tree = profiler.output_text(unicode=True, show_all=False)
    flat = profiler.output_text(unicode=True, flat=True)
    path.write_text(f"{tree}\n== where the time is spent (self time, flat) ==\n{flat}")
    path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
