from collections.abc import AsyncIterator

import pytest

from tests.support.stack import Stack, open_stack


@pytest.fixture(scope="session")
async def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with open_stack(kafka_bootstrap, tmp_path_factory.mktemp("keys")) as running:
        yield running


@pytest.fixture(autouse=True)
async def _clean_sandbox(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "stack" in request.fixturenames:
        running: Stack = request.getfixturevalue("stack")
        await running.http.delete("/_sandbox/faults")
