"""NAV's exchange over aiohttp, against a local HTTP server: the request goes out as given, the
answer comes back whatever its status, and aiohttp's failures end as the exchange's own errors."""

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapter.nav.aiohttp_exchange import AiohttpExchange, open_aiohttp_exchange
from adapter.nav.exchange import ExchangeFailed, ExchangeTimeout
from adapter.settings import NavSettings


class Seen:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, Seen]]:
    seen = Seen()

    async def echo(request: web.Request) -> web.Response:
        seen.requests.append((request.method, request.path_qs, dict(request.headers), await request.read()))
        return web.Response(status=201, body=b'{"a": 1}', headers={"x-answer": "yes", "Set-Cookie": "s=1"})

    async def moved(request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "/echo"})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response(status=200)

    app = web.Application()
    app.add_routes([web.route("*", "/echo", echo), web.get("/moved", moved), web.get("/slow", slow)])
    test_server = TestServer(app)
    await test_server.start_server()
    try:
        yield test_server, seen
    finally:
        await test_server.close()


@pytest.fixture
async def exchange() -> AsyncIterator[AiohttpExchange]:
    opened = open_aiohttp_exchange(NavSettings.model_validate({"nav_connect_timeout_seconds": 0.5}))
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_the_request_goes_as_given_and_the_answer_comes_back(
    server: tuple[TestServer, Seen], exchange: AiohttpExchange
) -> None:
    test_server, seen = server
    url = str(test_server.make_url("/echo"))
    answer = await exchange.exchange(
        "POST", url, {"Nav-Call-Id": "c-1"}, (("a", "1"), ("a", "2")), b'{"q": true}', 2.0
    )
    assert (answer.status, answer.headers["X-Answer"], answer.content) == (201, "yes", b'{"a": 1}')
    [(method, path_qs, headers, body)] = seen.requests
    assert (method, path_qs, headers["Nav-Call-Id"], body) == ("POST", "/echo?a=1&a=2", "c-1", b'{"q": true}')
    # The cookie NAV set is not sent back.
    await exchange.exchange("GET", url, {}, (), None, 2.0)
    assert "Cookie" not in seen.requests[1][2]


async def test_a_redirect_is_answered_not_followed(
    server: tuple[TestServer, Seen], exchange: AiohttpExchange
) -> None:
    test_server, seen = server
    answer = await exchange.exchange("GET", str(test_server.make_url("/moved")), {}, (), None, 2.0)
    assert answer.status == 302
    assert seen.requests == []


async def test_no_answer_in_time_is_a_timeout(
    server: tuple[TestServer, Seen], exchange: AiohttpExchange
) -> None:
    test_server, _ = server
    with pytest.raises(ExchangeTimeout):
        await exchange.exchange("GET", str(test_server.make_url("/slow")), {}, (), None, 0.2)


async def test_a_refused_connection_is_a_failed_exchange(exchange: AiohttpExchange) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ExchangeFailed):
        await exchange.exchange("GET", f"http://127.0.0.1:{port}/x", {}, (), None, 2.0)
