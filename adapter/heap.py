"""Keeping the garbage collector off what start-up built."""

import gc


def freeze_startup_objects() -> None:
    """Move everything alive now (modules, pydantic validators, settings) out of the collector's sight.

    Those objects live as long as the process, yet every full collection walks them all; under
    load that walk stalls the event loop (docs/benchmark.md). Frozen, they are skipped.
    """
    gc.collect()
    gc.freeze()
