import httpx
import pytest
from pydantic import ValidationError

from adapter.nav.transport import ProxyRoutes, exempt, proxy_for, trust
from adapter.settings import NavSettings

PROXIES = {"https": "http://proxy:3128"}


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "expected"),
    [
        ("api.nav.no", 443, "*", True),
        ("api.nav.no", 443, "nav.no", True),
        ("api.nav.no", 443, ".nav.no", True),
        ("nav.no", 443, ".nav.no", True),
        ("evilnav.no", 443, "nav.no", False),
        ("maskinporten.no", 443, "nav.no, localhost", False),
        ("localhost", 8080, "nav.no, localhost", True),
        ("127.0.0.1", 8443, "127.0.0.1:8443", True),
        ("127.0.0.1", 443, "127.0.0.1:8443", False),
        ("API.NAV.NO", 443, "nav.no.", True),
        ("api.nav.no", 443, "", False),
    ],
)
def test_no_proxy_is_read_as_curl_reads_it(host: str, port: int, no_proxy: str, expected: bool) -> None:
    assert exempt(host, port, no_proxy) is expected


def test_the_proxy_is_chosen_by_scheme_and_no_proxy() -> None:
    assert proxy_for(httpx.URL("https://api.nav.no/x"), PROXIES, None) == "http://proxy:3128"
    assert proxy_for(httpx.URL("https://api.nav.no/x"), PROXIES, "nav.no") is None
    assert proxy_for(httpx.URL("http://api.nav.no/x"), PROXIES, None) is None  # no HTTP_PROXY set
    assert proxy_for(httpx.URL("https://maskinporten.no/token"), PROXIES, "nav.no") == "http://proxy:3128"


async def test_requests_go_over_the_transport_their_url_calls_for() -> None:
    seen: list[str] = []

    def answering(name: str) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(name)
            return httpx.Response(200)

        return httpx.MockTransport(answer)

    routes = ProxyRoutes(
        direct=answering("direct"),
        proxied={"http://proxy:3128": answering("proxy")},
        proxies=PROXIES,
        no_proxy="internal.nav.no",
    )
    for url in ("https://api.nav.no/a", "https://internal.nav.no/b", "http://api.nav.no/c"):
        await routes.handle_async_request(httpx.Request("GET", url))
    assert seen == ["proxy", "direct", "direct"]


def test_a_ca_bundle_that_is_not_there_stops_the_start() -> None:
    with pytest.raises(ValidationError, match="nav_ca_bundle"):
        NavSettings.model_validate({"nav_ca_bundle": "/nonexistent/ca.pem"})
    assert trust(NavSettings()) is True
