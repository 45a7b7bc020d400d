"""The sandbox's feeds: routes from the FEEDS table, NAV's paging and traps, and the control plane."""

import random
from typing import Any

import httpx
import pytest

from nav_lookup_contracts.feeds import FEEDS, FEEDS_BY_NAME, Feed
from nav_sandbox import SandboxConfig, create_app
from nav_sandbox.faults import Faults
from nav_sandbox.feed_logs import make_item
from nav_sandbox.feeds import SandboxFeeds
from nav_sandbox.maskinporten import TokenStore
from nav_sandbox.recorder import Recorder
from tests.sandbox.conftest import SUBSCRIPTION_KEY, Sandbox

TRYGD = FEEDS_BY_NAME["trygdehendelser"]
VEDTAK = FEEDS_BY_NAME["samordning.vedtak"]
YTELSER = FEEDS_BY_NAME["samordning.ytelser"]


async def _get(sandbox: Sandbox, feed: Feed, **params: Any) -> httpx.Response:
    token = await sandbox.token(feed.scope)
    headers = {"Authorization": f"Bearer {token}", "Ocp-Apim-Subscription-Key": SUBSCRIPTION_KEY}
    return await sandbox.client.get(f"/{feed.api.key}{feed.path}", params=params, headers=headers)


def _query(feed: Feed, start: int, size: int) -> dict[str, Any]:
    query: dict[str, Any] = {feed.params.start: start, feed.params.page_size: size}
    if feed.params.tpnr:
        query[feed.params.tpnr] = "3010"
    return query


def test_every_feed_has_a_route() -> None:
    app = create_app(SandboxConfig())
    for feed in FEEDS:
        assert app.url_path_for(feed.name) == f"/{feed.api.key}{feed.path}"


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.name)
def test_synthetic_items_match_the_contract(feed: Feed) -> None:
    for sequence in range(1, 30):
        item = feed.item_model.model_validate(make_item(feed, sequence, "3010"))
        assert feed.ident_of(item) is not None
        assert feed.sequence_of(item) in (None, sequence)


@pytest.mark.parametrize("feed", FEEDS, ids=lambda f: f.name)
async def test_a_page_from_a_number(sandbox: Sandbox, feed: Feed) -> None:
    response = await _get(sandbox, feed, **_query(feed, 5, 10))
    assert response.status_code == 200, response.text
    page = feed.page_model.model_validate(response.json())
    items = getattr(page, feed.items_field)
    numbers = [feed.sequence_of(i) for i in items]
    if feed.per_tpnr and feed.sequence_field:
        # NAV's SekvensnummerBetween(5, 5 + 10): both ends inclusive, in no order.
        assert sorted(n for n in numbers if n is not None) == list(range(5, 16))
        assert page.sisteLesteSekvensnummer == 15  # type: ignore[attr-defined]
    else:
        assert len(items) == 10
        if feed.sequence_field:
            assert numbers == list(range(5, 15))


async def test_samordning_numbered_pages_come_shuffled(sandbox: Sandbox) -> None:
    orders = set()
    for _ in range(5):
        body = (await _get(sandbox, YTELSER, **_query(YTELSER, 1, 19))).json()
        orders.add(tuple(h["sekvensnummer"] for h in body["hendelser"]))
        assert body["nextUrl"] is None  # 1..20 is every event
    assert len(orders) > 1 and all(sorted(order) == list(range(1, 21)) for order in orders)


@pytest.mark.parametrize("name", ["vedtak", "ytelser", "personer", "manglende-refusjonskrav"])
async def test_samordning_last_read_is_1_on_an_empty_page(sandbox: Sandbox, name: str) -> None:
    feed = FEEDS_BY_NAME[f"samordning.{name}"]
    body = (await _get(sandbox, feed, **_query(feed, 100, 10))).json()
    assert body["hendelser"] == []
    assert body["sisteSekvensnummer"] == 20
    assert body["sisteLesteSekvensnummer"] == 1
    assert body["nextUrl"] is None


async def test_vedtak_paging(sandbox: Sandbox) -> None:
    body = (await _get(sandbox, VEDTAK, **_query(VEDTAK, 1, 10))).json()
    assert body["sisteLesteSekvensnummer"] == 10
    assert "side=1" in body["nextUrl"]


async def test_bad_parameters_are_400(sandbox: Sandbox) -> None:
    assert (await _get(sandbox, YTELSER, sekvensnummer=1)).status_code == 400  # no tpnr
    assert (await _get(sandbox, TRYGD, antall=10)).status_code == 400  # no start
    assert (await _get(sandbox, TRYGD, **_query(TRYGD, 1, 101))).status_code == 400
    assert (await _get(sandbox, TRYGD, **_query(TRYGD, 1, 10), hjemmelgruppe="X")).status_code == 400


async def test_a_filter_leaves_gaps(sandbox: Sandbox) -> None:
    body = (await _get(sandbox, TRYGD, **_query(TRYGD, 1, 100), hjemmelgruppe="EOS")).json()
    numbers = [h["hendelsesnummer"] for h in body["hendelser"]]
    assert numbers == list(range(2, 21, 2))


async def test_the_gateway_checks_token_and_scope(sandbox: Sandbox) -> None:
    response = await sandbox.client.get(f"/samordning{YTELSER.path}", params=_query(YTELSER, 1, 1))
    assert response.status_code == 401
    token = await sandbox.token(TRYGD.scope)
    response = await sandbox.client.get(
        f"/samordning{YTELSER.path}",
        params=_query(YTELSER, 1, 1),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


async def test_append_gap_and_faults(sandbox: Sandbox) -> None:
    control = sandbox.client
    assert (
        await control.post("/_sandbox/feeds/samordning.ytelser/events", json={"count": 2})
    ).status_code == 400
    await control.post("/_sandbox/feeds/samordning.ytelser/events", json={"count": 2, "tpnr": "3010"})
    await control.post("/_sandbox/feeds/samordning.ytelser/gap", json={"skip": 3, "tpnr": "3010"})
    summary = (await control.post("/_sandbox/feeds/samordning.ytelser/events", json={"tpnr": "3010"})).json()
    assert summary["highest"] == 26 and summary["count"] == 23
    body = (await _get(sandbox, YTELSER, **_query(YTELSER, 21, 10))).json()
    assert sorted(h["sekvensnummer"] for h in body["hendelser"]) == [21, 22, 26]

    await control.post("/_sandbox/faults", json={"api": "samordning.ytelser", "status": 503, "count": 1})
    assert (await _get(sandbox, YTELSER, **_query(YTELSER, 1, 1))).status_code == 503
    assert (await _get(sandbox, YTELSER, **_query(YTELSER, 1, 1))).status_code == 200


def test_a_rate_makes_events_as_time_passes() -> None:
    now = [100.0]
    feeds = SandboxFeeds(
        SandboxConfig(feed_events=0),
        TokenStore(lambda: now[0]),
        Faults(targets=[], max_hang_seconds=1, rng=random.Random(1)),
        Recorder(10),
        clock=lambda: now[0],
    )
    log = feeds.log(TRYGD, None)
    log.per_second, log.rate_since, log.rate_limit = 10.0, now[0], 25
    now[0] += 1.05
    assert feeds.log(TRYGD, None).highest == 10
    now[0] += 10
    assert feeds.log(TRYGD, None).highest == 25


async def test_vedtak_renumbering_deletes_and_reveals_rows_and_moves_positions(sandbox: Sandbox) -> None:
    control = "/_sandbox/feeds/samordning.vedtak"
    before = (await sandbox.client.get(control, params={"tpnr": "3010"})).json()["events"]
    ids = [e["item"]["vedtakId"] for e in before]
    deleted = await sandbox.client.post(f"{control}/renumber", json={"tpnr": "3010", "at": 5, "delete": 3})
    assert deleted.json()["highest"] == len(ids) - 3
    page = (await _get(sandbox, VEDTAK, **_query(VEDTAK, 5, 2))).json()
    assert [i["vedtakId"] for i in page["hendelser"]] == ids[7:9]
    assert page["sisteSekvensnummer"] == len(ids) - 3
    revealed = await sandbox.client.post(f"{control}/renumber", json={"tpnr": "3010", "at": 2, "insert": 2})
    assert revealed.json()["highest"] == len(ids) - 1
    after = (await sandbox.client.get(control, params={"tpnr": "3010"})).json()["events"]
    now = [e["item"]["vedtakId"] for e in after]
    assert now[0] == ids[0] and now[3:] == [*ids[1:4], *ids[7:]]
    assert len(set(now)) == len(now), "a revealed row is a new vedtak"
    appended = await sandbox.client.post(f"{control}/events", json={"tpnr": "3010", "count": 2})
    assert appended.json()["highest"] == len(now) + 2
    latest = (await sandbox.client.get(control, params={"tpnr": "3010"})).json()["events"]
    assert len({e["item"]["vedtakId"] for e in latest}) == len(latest)
    numbered = await sandbox.client.post("/_sandbox/feeds/samordning.ytelser/renumber", json={"tpnr": "3010"})
    assert numbered.status_code == 400


async def test_the_gateway_limit_is_per_endpoint_and_answered_with_503(sandbox: Sandbox) -> None:
    personer = FEEDS_BY_NAME["samordning.personer"]
    assert (await sandbox.client.get("/_sandbox/gateway-limit")).json()["per_minute"] is None
    switched = await sandbox.client.post("/_sandbox/gateway-limit", json={"per_minute": 3})
    assert switched.json() == {"per_minute": 3, "refused": 0}
    statuses = [(await _get(sandbox, YTELSER, **_query(YTELSER, 1, 5))).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 503]
    # Another endpoint of the same API has its own count; other APIs have none.
    assert (await _get(sandbox, personer, **_query(personer, 1, 5))).status_code == 200
    assert all([(await _get(sandbox, TRYGD, **_query(TRYGD, 1, 5))).status_code == 200 for _ in range(5)])
    await sandbox.client.post("/_sandbox/gateway-limit", json={"per_minute": None})
    assert (await _get(sandbox, YTELSER, **_query(YTELSER, 1, 5))).status_code == 200
