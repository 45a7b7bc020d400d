"""NAV's HTTP exchange over aiohttp's client, used directly: the processes' default.

Measured (docs/benchmark.md), building httpx's `Request` and `Response` around an aiohttp
exchange cost about as much CPU as the exchange itself; here a call is one `session.request`.
What the httpx transports give is kept: the trust of the settings (`transport.trust`, as httpx
reads it), their egress proxy per request (`transport.proxy_of`, NO_PROXY as curl reads it), no
redirects followed, no cookies kept, each phase bounded by the call's timeout. aiohttp's failures
end here, as `ExchangeTimeout` or `ExchangeFailed`.
"""

import ssl
from collections.abc import Mapping

import aiohttp
import httpx
from yarl import URL

from adapter.nav.exchange import ExchangeFailed, ExchangeTimeout, NavAnswer
from adapter.nav.transport import proxies_of, proxy_of, trust
from adapter.settings import NavSettings

KEEPALIVE_SECONDS = 5.0
"""An idle connection is closed after this long, as httpx's pool does."""


class AiohttpExchange:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        connect_timeout: float,
        proxies: Mapping[str, str],
        no_proxy: str | None,
    ) -> None:
        self._session = session
        self._connect_timeout = connect_timeout
        self._proxies = proxies
        self._no_proxy = no_proxy

    async def exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        params: tuple[tuple[str, str], ...],
        content: bytes | None,
        timeout: float,
    ) -> NavAnswer:
        target, proxy = URL(url), None
        if self._proxies:
            proxy = proxy_of(target.scheme, target.host or "", target.port, self._proxies, self._no_proxy)
        limits = aiohttp.ClientTimeout(
            total=None,
            connect=timeout,  # waiting for a pooled connection, and opening one
            sock_connect=min(self._connect_timeout, timeout),
            sock_read=timeout,
        )
        try:
            async with self._session.request(
                method,
                target,
                params=params or None,
                headers=headers,
                data=content,
                timeout=limits,
                proxy=proxy,
                allow_redirects=False,
            ) as response:
                return NavAnswer(response.status, response.headers, await response.read())
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise ExchangeTimeout(type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            raise ExchangeFailed(type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self._session.close()


def open_aiohttp_exchange(settings: NavSettings) -> AiohttpExchange:
    """A pooled exchange as the settings describe it; call within the running loop, close it after."""
    context: ssl.SSLContext = httpx.create_ssl_context(verify=trust(settings))
    connector = aiohttp.TCPConnector(
        limit=settings.nav_max_connections, ssl=context, keepalive_timeout=KEEPALIVE_SECONDS
    )
    session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
    return AiohttpExchange(
        session,
        connect_timeout=settings.nav_connect_timeout_seconds,
        proxies=proxies_of(settings),
        no_proxy=settings.no_proxy,
    )
