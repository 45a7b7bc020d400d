"""The pooled transport every call to NAV and Maskinporten goes through, with the process's trust
(a CA bundle) and egress proxy.

The NAV client hands requests straight to a transport (`adapter.nav.sender`), and an explicit
transport turns httpx's own reading of `HTTPS_PROXY`/`NO_PROXY` off; so the proxy is chosen here,
per request, from the settings that read those variables.
"""

import ssl
from collections.abc import Callable, Mapping

import httpx

from adapter.settings import NavSettings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def exempt(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts `host`: `*`, a host, a domain (`nav.no` or `.nav.no` also covers
    its subdomains), each optionally with `:port`, comma-separated, as curl and httpx read it."""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxy_for(url: httpx.URL, proxies: Mapping[str, str], no_proxy: str | None) -> str | None:
    """The proxy a request to `url` goes through (by scheme), or None where NO_PROXY exempts it."""
    return proxy_of(url.scheme, url.host, url.port, proxies, no_proxy)


def proxy_of(
    scheme: str, host: str, port: int | None, proxies: Mapping[str, str], no_proxy: str | None
) -> str | None:
    """`proxy_for` of a URL in parts."""
    proxy = proxies.get(scheme)
    if proxy is None or (no_proxy and exempt(host, port or _DEFAULT_PORTS.get(scheme), no_proxy)):
        return None
    return proxy


def proxies_of(settings: NavSettings) -> dict[str, str]:
    """The egress proxy of each scheme the settings name one for."""
    return {
        scheme: url for scheme, url in (("https", settings.https_proxy), ("http", settings.http_proxy)) if url
    }


class ProxyRoutes(httpx.AsyncBaseTransport):
    """Sends each request over the direct transport or the one of its scheme's proxy."""

    def __init__(
        self,
        *,
        direct: httpx.AsyncBaseTransport,
        proxied: Mapping[str, httpx.AsyncBaseTransport],
        proxies: Mapping[str, str],
        no_proxy: str | None,
    ) -> None:
        self._direct = direct
        self._proxied = proxied
        self._proxies = proxies
        self._no_proxy = no_proxy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        proxy = proxy_for(request.url, self._proxies, self._no_proxy)
        transport = self._direct if proxy is None else self._proxied[proxy]
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        for transport in {self._direct, *self._proxied.values()}:
            await transport.aclose()


def trust(settings: NavSettings) -> ssl.SSLContext | bool:
    """The CAs trusted: the bundle set, else httpx's default (certifi, or SSL_CERT_FILE/DIR)."""
    if settings.nav_ca_bundle is None:
        return True
    return ssl.create_default_context(cafile=str(settings.nav_ca_bundle))


def make_transport(settings: NavSettings) -> httpx.AsyncBaseTransport:
    """Pooled, trusting what the settings say, and through the proxy they name."""
    limits = httpx.Limits(
        max_connections=settings.nav_max_connections,
        max_keepalive_connections=settings.nav_max_connections,
    )
    verify = trust(settings)
    build: Callable[[httpx.Proxy | None], httpx.AsyncBaseTransport]
    if settings.http_transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        def build(proxy: httpx.Proxy | None) -> httpx.AsyncBaseTransport:
            return AiohttpTransport(limits=limits, verify=verify, proxy=proxy)
    else:

        def build(proxy: httpx.Proxy | None) -> httpx.AsyncBaseTransport:
            return httpx.AsyncHTTPTransport(limits=limits, verify=verify, proxy=proxy)

    proxies = proxies_of(settings)
    direct = build(None)
    if not proxies:
        return direct
    proxied = {url: build(httpx.Proxy(url)) for url in set(proxies.values())}
    return ProxyRoutes(direct=direct, proxied=proxied, proxies=proxies, no_proxy=settings.no_proxy)
