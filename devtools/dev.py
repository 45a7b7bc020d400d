"""`nav-adapter dev`: embedded broker, NAV sandbox (on an event loop of its own) and adapter in one
process, and a first lookup.

Uses the Kafka at KAFKA_BOOTSTRAP_SERVERS when that is set, else starts the embedded broker.
"""

import asyncio
import contextlib
import json
import shlex
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from adapter.embedded_server import EmbeddedServer
from adapter.kafka.topics import ensure_topics
from adapter.lookup.app import run_lookups
from adapter.settings import KafkaSettings, LookupSettings, NavSettings
from adapter.shutdown import unless_stopped
from devtools.devkeys import make_dev_keys
from devtools.embedded_broker import EmbeddedBroker
from devtools.request_tool import build_request, request_reply
from devtools.settings_env import settings_env
from nav_lookup_contracts.feeds import FEED_APIS
from nav_lookup_contracts.operations import APIS, OPERATIONS
from nav_sandbox import PEOPLE, SandboxConfig, create_app

DEV_CALLER = "dev"
DEV_CLIENT_ID = "nav-adapter-dev"
DEV_SUBSCRIPTION_KEY = "sandbox-subscription-key"


@contextlib.asynccontextmanager
async def serve_sandbox(
    config: SandboxConfig, host: str, port: int, *, tls: tuple[Path, Path] | None = None
) -> AsyncIterator[str]:
    """The sandbox at the URL yielded; over HTTPS with `tls` (certificate and key PEM files)."""
    certfile, keyfile = tls or (None, None)
    server = EmbeddedServer(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            ssl_certfile=certfile,
            ssl_keyfile=keyfile,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"{'https' if tls else 'http'}://{host}:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve_sandbox_apart(config: SandboxConfig, host: str, port: int) -> AsyncIterator[str]:
    """The sandbox at the URL yielded, on an event loop of its own in a thread.

    NAV answers whatever the adapter is doing; a sandbox in the lookups' loop would not: whatever
    holds that loop (first imports, building schemas, the group join) would hold up its answers,
    its token endpoint's among them, and the start-up grants would time out or age.
    """
    app = create_app(config)
    server = EmbeddedServer(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, loop="asyncio")
    )
    thread = threading.Thread(target=server.run, name="nav-sandbox", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():  # uvicorn has logged why (a port in use, say)
            raise SystemExit(f"the NAV sandbox could not start on {host}:{port}")
        await asyncio.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join)


@dataclass(frozen=True)
class DevSettings:
    """The lookups' settings against the sandbox: what `nav-adapter dev` and the tests run."""

    kafka: KafkaSettings
    nav: NavSettings
    lookups: LookupSettings


def dev_nav_settings(sandbox_url: str, key_id: str, key_file: Path) -> NavSettings:
    return NavSettings(
        nav_base_urls={api.key: f"{sandbox_url}/{api.key}" for api in (*APIS, *FEED_APIS)},
        nav_subscription_key=DEV_SUBSCRIPTION_KEY,
        maskinporten_token_url=f"{sandbox_url}/token",
        maskinporten_issuer=f"{sandbox_url}/",
        maskinporten_client_id=DEV_CLIENT_ID,
        maskinporten_key_id=key_id,
        maskinporten_private_key_file=key_file,
    )


DEV_HEALTH_PORT = 18081


def dev_settings(
    kafka: KafkaSettings, sandbox_url: str, key_id: str, key_file: Path, health_port: int = DEV_HEALTH_PORT
) -> DevSettings:
    return DevSettings(
        kafka=kafka,
        nav=dev_nav_settings(sandbox_url, key_id, key_file),
        lookups=LookupSettings(
            callers={DEV_CALLER: frozenset(op.scope for op in OPERATIONS)},
            allow_synthetic_idents=True,
            http_host="127.0.0.1",
            http_port=health_port,
        ),
    )


def print_env(kafka: KafkaSettings, kafka_port: int, sandbox_port: int, work_dir: Path) -> None:
    """The dev set-up's settings as `export` lines, for each role run as its own process."""
    keys = make_dev_keys(work_dir)
    if not kafka.bootstrap_servers:
        kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{kafka_port}", broker_kind="tansu")
    dev = dev_settings(kafka, f"http://127.0.0.1:{sandbox_port}", keys.key_id, keys.private_key_path)
    for name, value in settings_env(dev.kafka, dev.nav, dev.lookups, only_set=True).items():
        print(f"export {name}={shlex.quote(value)}")
    print(
        f"# and the sandbox: nav-adapter sandbox --port {sandbox_port} --jwks {keys.jwks_path} "
        f"--client-id {DEV_CLIENT_ID} --subscription-key {DEV_SUBSCRIPTION_KEY}"
    )


async def run_dev(
    *,
    kafka: KafkaSettings | None,
    kafka_port: int,
    sandbox_port: int,
    work_dir: Path,
    stop: asyncio.Event,
    health_port: int = DEV_HEALTH_PORT,
) -> None:
    """Until `stop` is set: the embedded broker (unless `kafka` is given), the sandbox and the
    lookups, and a first lookup. A stop at any moment, start-up included, ends the start-up step
    under way and stops the parts in reverse order: lookups (drained), sandbox, broker."""
    keys = make_dev_keys(work_dir)
    broker = None
    if kafka is None:
        # In a session of its own: a Ctrl-C in the terminal reaches this process alone, which
        # stops the broker last, once the lookups have drained and committed.
        broker = EmbeddedBroker(port=kafka_port).start()
        kafka = broker.settings()
    try:
        if stop.is_set():
            return
        sandbox_config = SandboxConfig(
            client_id=DEV_CLIENT_ID,
            jwks_path=keys.jwks_path,
            issuer=f"http://127.0.0.1:{sandbox_port}/",
            subscription_key=DEV_SUBSCRIPTION_KEY,
        )
        async with serve_sandbox_apart(sandbox_config, "127.0.0.1", sandbox_port) as sandbox_url:
            dev = dev_settings(kafka, sandbox_url, keys.key_id, keys.private_key_path, health_port)
            settings = dev.lookups
            topics = [*settings.request_topics(), *settings.output_topics()]
            if not await unless_stopped(ensure_topics(dev.kafka, topics), stop):
                return
            lookups = asyncio.create_task(run_lookups(dev.kafka, dev.nav, settings, stop))
            print(f"Kafka        {kafka.bootstrap_servers}" + ("  (embedded Tansu broker)" if broker else ""))
            print(f"NAV sandbox  {sandbox_url}  (token endpoint {sandbox_url}/token)")
            print(f"Adapter      consuming {', '.join(settings.request_topics())}")
            print(f"             replies on {', '.join(settings.reply_topics().values())}")
            print(f"             dead letters on {settings.dead_letter_topic}")
            print(f"Health       http://127.0.0.1:{settings.http_port}/isready  and  /metrics")
            if await unless_stopped(_demo(dev.kafka, settings), stop, beside=lookups):
                _print_tips(sandbox_url)
            await lookups
    finally:
        if broker is not None:
            broker.stop()


def _print_tips(sandbox_url: str) -> None:
    print("\nTry next, in another shell (Ctrl-C here stops everything):")
    person = PEOPLE[0].ident
    print(f"  .venv/bin/nav-adapter request medlemskapsunntak.search ident={person}")
    print(f"  .venv/bin/nav-adapter request uforeopplysninger.get ident={person}   # CONSENT_REQUIRED")
    print("  .venv/bin/nav-adapter request medlemskapsunntak.get unntak_id=999999   # NOT_FOUND")
    print(f"  curl -X POST {sandbox_url}/_sandbox/faults -d '{{\"status\": 503}}'   # NAV outage")


async def _demo(kafka: KafkaSettings, settings: LookupSettings) -> None:
    request = build_request("medlemskapsunntak.search", {"ident": PEOPLE[0].ident})
    topic, caller = next(iter(settings.request_topics().items()))
    reply_topic = settings.reply_topic_of(caller)
    print(f"\nSending a lookup to {topic}:\n  {json.dumps(request)}")
    reply = await request_reply(kafka, topic, reply_topic, request, timeout=60)
    # Whole and indented, as `nav-adapter request` prints it: a cut reply reads as broken JSON.
    pretty = json.dumps(reply, indent=2, ensure_ascii=False).replace("\n", "\n  ")
    print(f"Reply on {reply_topic}:\n  {pretty}")
