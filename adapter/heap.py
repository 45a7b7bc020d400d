"""Keeping the garbage collector off what start-up built, and off what a lookup briefly holds."""

import gc

YOUNG_COLLECTION_AFTER = 50_000
"""Net new container objects between young collections (CPython's default: 700).

With hundreds of lookups in flight, a collection every 700 objects finds nearly all of them still
alive, promotes them, and later walks them again in the older generations, where most then die
anyway: measured over 5,000 lookups, 0.58 s of collector CPU at the default, 0.17 s at 50,000
(docs/benchmark.md), with no more peak RSS. The middle generation is collected every 20 young
collections, the old one after 10 of those (and, CPython's own rule, only once it grew by a quarter).
"""


def freeze_startup_objects() -> None:
    """Move everything alive now (modules, pydantic validators, settings) out of the collector's sight,
    and collect the young generation less often.

    Those objects live as long as the process, yet every full collection walks them all; under
    load that walk stalls the event loop (docs/benchmark.md). Frozen, they are skipped.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, 20, 10)
