"""`nav-adapter lookups` calls NAV and Maskinporten over HTTPS: trusting the CA it is given, and
through the egress proxy that HTTPS_PROXY names (unless NO_PROXY exempts the host)."""

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devtools.embedded_broker import free_port
from tests.support.connect_proxy import ConnectProxy
from tests.support.processes import AdapterProcess
from tests.support.stack import Stack, open_stack
from tests.support.tls import SandboxTls, make_sandbox_tls

pytestmark = pytest.mark.e2e

IDENT = "14435512160"
NO_PROXY_ENV = {"HTTPS_PROXY": "", "HTTP_PROXY": "", "NO_PROXY": ""}


@pytest.fixture
def tls(tmp_path: Path) -> SandboxTls:
    return make_sandbox_tls(tmp_path)


@contextlib.contextmanager
def lookups_process(stack: Stack, log_path: Path, **env: str) -> Iterator[AdapterProcess]:
    process = AdapterProcess({**stack.environment(), **NO_PROXY_ENV, **env}, log_path)
    process.start()
    try:
        yield process
    finally:
        process.kill()


def _sandbox_address(stack: Stack) -> str:
    url = httpx.URL(stack.sandbox_url)
    return f"{url.host}:{url.port}"


@pytest.mark.parametrize("variable", ["ADAPTER_NAV_CA_BUNDLE", "SSL_CERT_FILE"])
async def test_lookups_over_https_trust_the_configured_ca_bundle(
    kafka_bootstrap: str, tls: SandboxTls, tmp_path: Path, variable: str
) -> None:
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, sandbox_tls=tls, http_port=free_port()
    ) as stack:
        assert stack.sandbox_url.startswith("https://")
        log = tmp_path / "lookups.log"
        with lookups_process(stack, log, **{variable: str(tls.ca_path)}) as process:
            reply = await stack.ask("medlemskapsunntak.search", ident=IDENT, timeout=90)
            assert reply["status"] == "ok", reply
            assert process.terminate() == 0


async def test_without_the_ca_the_sandbox_certificate_is_refused_and_token_failures_are_counted(
    kafka_bootstrap: str, tls: SandboxTls, tmp_path: Path
) -> None:
    port = free_port()
    async with open_stack(
        kafka_bootstrap, tmp_path, in_process_adapter=False, sandbox_tls=tls, http_port=port
    ) as stack:
        with lookups_process(stack, tmp_path / "lookups.log"):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(90):
                while True:
                    failures = await _token_fetch_failures(http)
                    if failures > 0:
                        break
                    await asyncio.sleep(0.2)
                ready = await http.get("/isready")
            assert ready.status_code == 503 and "token_fetched" in ready.json()["failing"]


async def _token_fetch_failures(http: httpx.AsyncClient) -> float:
    try:
        text = (await http.get("/metrics")).text
    except httpx.TransportError:
        return 0.0
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "nav_adapter_token_fetch_failures_total"
    )


@pytest.mark.parametrize(
    ("transport", "no_proxy"),
    [("aiohttp", ""), ("httpx", ""), ("aiohttp", "localhost,127.0.0.1")],
    ids=["aiohttp", "httpx", "no-proxy-exempts-the-host"],
)
async def test_lookups_go_through_the_https_proxy(
    kafka_bootstrap: str, tls: SandboxTls, tmp_path: Path, transport: str, no_proxy: str
) -> None:
    proxy = ConnectProxy()
    await proxy.start()
    try:
        async with open_stack(
            kafka_bootstrap, tmp_path, in_process_adapter=False, sandbox_tls=tls, http_port=free_port()
        ) as stack:
            env = {
                "ADAPTER_NAV_CA_BUNDLE": str(tls.ca_path),
                "ADAPTER_HTTP_TRANSPORT": transport,
                "HTTPS_PROXY": proxy.url,
                "NO_PROXY": no_proxy,
            }
            with lookups_process(stack, tmp_path / "lookups.log", **env) as process:
                reply = await stack.ask("medlemskapsunntak.search", ident=IDENT, timeout=90)
                assert reply["status"] == "ok", reply
                assert process.terminate() == 0
            if no_proxy:
                assert proxy.tunnels == []
            else:
                # Maskinporten's token and NAV's answer both came through the tunnel.
                assert proxy.tunnels and set(proxy.tunnels) == {_sandbox_address(stack)}
            assert proxy.refused == []
    finally:
        await proxy.stop()
