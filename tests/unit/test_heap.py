"""What the processes do to the garbage collector once started."""

import gc
from collections.abc import Iterator

import pytest

from adapter.heap import YOUNG_COLLECTION_AFTER, freeze_startup_objects


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector")
def test_start_up_objects_are_frozen_and_young_collections_are_rarer() -> None:
    alive = [object()]  # a container: tracked by the collector until frozen
    freeze_startup_objects()
    assert all(o is not alive for o in gc.get_objects())  # in the permanent generation now
    assert gc.get_threshold() == (YOUNG_COLLECTION_AFTER, 20, 10)
