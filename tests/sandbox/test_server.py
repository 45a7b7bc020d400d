"""The sandbox over a real socket: uvicorn in-process, and the CLI as a process."""

import asyncio
import contextlib
import signal
import socket
import ssl
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from nav_lookup_contracts.operations import OPERATIONS_BY_NAME
from nav_sandbox import GRANT_TYPE, PEOPLE, SandboxConfig, consent_of, create_app
from tests.sandbox.conftest import SUBSCRIPTION_KEY, GrantBuilder, consent_details
from tests.support.tls import make_sandbox_tls

OP = OPERATIONS_BY_NAME["uforeopplysninger.get"]


@contextlib.asynccontextmanager
async def _serving(config: SandboxConfig) -> AsyncIterator[str]:
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            access_log=False,
            log_level="warning",
            http="h11",
            ws="none",
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        # The socket already listens, so clients may connect before uvicorn has started.
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _lookup(base_url: str, grant: GrantBuilder, verify: ssl.SSLContext | bool = True) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url, timeout=5, verify=verify) as client:
        well_known = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert well_known["issuer"] == f"{base_url}/"
        token = await client.post(
            well_known["token_endpoint"],
            data={
                "grant_type": GRANT_TYPE,
                "assertion": grant(
                    OP.scope,
                    aud=well_known["issuer"],
                    extra={
                        "authorization_details": consent_details(
                            consent_of(PEOPLE[1].ident).id, PEOPLE[1].ident
                        )
                    },
                ),
            },
        )
        assert token.status_code == 200, token.text
        return await client.get(
            f"/{OP.api.key}{OP.path}",
            headers={
                "Authorization": f"Bearer {token.json()['access_token']}",
                "Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY,
                "fnr": PEOPLE[1].ident,
                "Nav-Call-Id": "call-1",
            },
        )


async def test_uvicorn_serves_the_sandbox_over_a_socket(config: SandboxConfig, grant: GrantBuilder) -> None:
    async with _serving(config) as base_url:
        response = await _lookup(base_url, grant)
        assert response.status_code == 200
        assert OP.result_adapter.validate_json(response.content).status == "LOPENDE"


async def test_a_client_that_gives_up_on_a_hang_times_out(config: SandboxConfig, grant: GrantBuilder) -> None:
    async with _serving(config) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        await client.post("/_sandbox/faults", json={"timeout": True, "api": OP.api.key})
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"/{OP.api.key}{OP.path}", timeout=0.2)


async def test_the_cli_prints_its_address_and_serves(jwks_path: Path, grant: GrantBuilder) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nav_sandbox",
        "--port",
        "0",
        "--jwks",
        str(jwks_path),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        prefix = "nav-sandbox listening on http://127.0.0.1:"
        assert line.startswith(prefix)
        response = await _lookup(line.removeprefix("nav-sandbox listening on ").strip(), grant)
        assert response.status_code == 200
    finally:
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells of it.
        assert await asyncio.wait_for(process.wait(), 10) in (0, -signal.SIGTERM)


async def test_the_cli_serves_https_with_a_certificate(
    jwks_path: Path, grant: GrantBuilder, tmp_path: Path
) -> None:
    tls = make_sandbox_tls(tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nav_sandbox",
        "--port",
        "0",
        "--jwks",
        str(jwks_path),
        "--tls-cert",
        str(tls.cert_path),
        "--tls-key",
        str(tls.key_path),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        assert line.startswith("nav-sandbox listening on https://127.0.0.1:")
        url = line.removeprefix("nav-sandbox listening on ").strip()
        response = await _lookup(url, grant, verify=ssl.create_default_context(cafile=tls.ca_path))
        assert response.status_code == 200
        with pytest.raises(httpx.ConnectError):  # not trusted without the test CA
            await _lookup(url, grant)
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) in (0, -signal.SIGTERM)
