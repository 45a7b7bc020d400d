from pathlib import Path

import pytest

from devtools.devkeys import DevKeys, make_dev_keys


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeys:
    path: Path = tmp_path_factory.mktemp("bridge-keys")
    return make_dev_keys(path)
