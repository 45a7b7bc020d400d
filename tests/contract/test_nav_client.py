"""The NAV client as the processes build it (`open_nav` from the dev settings), against the NAV
sandbox's app in process: every operation and every feed, with NAV's paths, headers, keys and
tokens, answers typed; the unknown person is NAV's NOT_FOUND or an empty result, as the table says."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from adapter.bridge.feed import ConfiguredFeed
from adapter.bridge.source import FeedSource
from adapter.nav.errors import NavRejected
from adapter.nav.factory import Nav, open_nav
from devtools.dev import DEV_CLIENT_ID, DEV_SUBSCRIPTION_KEY, dev_nav_settings
from devtools.devkeys import make_dev_keys
from nav_lookup_contracts.feeds import FEED_APIS, FEEDS
from nav_lookup_contracts.lookups import LOOKUP_REQUEST, LookupBase
from nav_lookup_contracts.operations import APIS, OPERATIONS, Operation
from nav_lookup_contracts.replies import ErrorCode
from nav_sandbox import PEOPLE, UNKNOWN_IDENT, SandboxConfig, create_app
from tests.sandbox.conftest import about, sample_values

URL = "http://sandbox"


@pytest.fixture(scope="module")
async def nav(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Nav]:
    keys = make_dev_keys(Path(tmp_path_factory.mktemp("contract-keys")))
    config = SandboxConfig(
        client_id=DEV_CLIENT_ID,
        jwks_path=keys.jwks_path,
        issuer=f"{URL}/",
        subscription_key=DEV_SUBSCRIPTION_KEY,
    )
    settings = dev_nav_settings(URL, keys.key_id, keys.private_key_path)
    transport = httpx.ASGITransport(app=create_app(config))
    async with open_nav(settings, (*APIS, *FEED_APIS), CollectorRegistry(), transport=transport) as opened:
        yield opened


def _request(op: Operation, values: dict[str, Any]) -> LookupBase:
    fields = {name: value for name, value in values.items() if name in op.request_model.model_fields}
    body = {"request_id": str(uuid.uuid4()), "operation": op.name, "scope": op.scope, **fields}
    return LOOKUP_REQUEST.validate_python(body, context={"allow_synthetic": True})


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
async def test_every_operation_answers_with_navs_typed_result(nav: Nav, op: Operation) -> None:
    result = await nav.client.call(op, _request(op, sample_values(op, PEOPLE[0])))
    dumped = op.result_adapter.dump_python(result)
    assert dumped, f"{op.name}: an empty result for a person the sandbox knows"
    if op.unknown_subject == "empty":  # then "nobody" is told apart by its items alone
        assert not _no_items(dumped), f"{op.name}: no items for a person the sandbox knows"
    assert op.result_adapter.validate_python(dumped) == result


@pytest.mark.parametrize(
    "op", [op for op in OPERATIONS if "ident" in op.request_model.model_fields], ids=lambda op: op.name
)
async def test_the_unknown_person_is_not_found_or_empty_as_the_table_says(nav: Nav, op: Operation) -> None:
    request = _request(op, about(sample_values(op, PEOPLE[0]), UNKNOWN_IDENT))
    if op.unknown_subject == "not_found":
        with pytest.raises(NavRejected) as rejected:
            await nav.client.call(op, request)
        assert rejected.value.code is ErrorCode.NOT_FOUND and rejected.value.http_status == 404
    else:
        result = await nav.client.call(op, request)
        assert _no_items(op.result_adapter.dump_python(result)), f"{op.name}: items for nobody"


def _no_items(value: Any) -> bool:
    """Every list in NAV's answer is empty: the shape of "nothing on this person"."""
    if isinstance(value, list):
        return not value
    if isinstance(value, dict):
        return all(_no_items(v) for v in value.values())
    return True


@pytest.mark.parametrize("feed", FEEDS, ids=lambda feed: feed.name)
async def test_every_feed_serves_a_numbered_page(nav: Nav, feed: Any) -> None:
    configured = ConfiguredFeed.of(feed, tpnr="3010" if feed.per_tpnr else None, page_size=5)
    page = await FeedSource(feed=configured, nav=nav.client).fetch(feed.first_sequence)
    numbers = [item.sequence for item in page.items]
    assert numbers and numbers == sorted(numbers) and numbers[0] == feed.first_sequence
    # Feed calls go through the same circuits and latency metric as lookups.
    assert nav.client.breakers[feed.api.key].state == "closed"


SIMULER = next(op for op in OPERATIONS if op.name == "pensjon.simuler_alderspensjon")


async def test_a_simulation_navs_rules_refuse_is_invalid_request_naming_navs_exception(nav: Nav) -> None:
    values = sample_values(SIMULER, PEOPLE[0])
    values["simulering"] = {**values["simulering"], "forsteUttak": {"datoFom": "2030-01-15", "grad": 50}}
    with pytest.raises(NavRejected) as rejected:
        await nav.client.call(SIMULER, _request(SIMULER, values))
    assert rejected.value.code is ErrorCode.INVALID_REQUEST and rejected.value.http_status == 400
    assert rejected.value.nav_code == "InvalidArgumentException"


async def test_a_simulation_for_a_person_outside_the_callers_scheme_is_forbidden(nav: Nav) -> None:
    values = sample_values(SIMULER, PEOPLE[0])
    values["simulering"] = {**values["simulering"], "fnr": UNKNOWN_IDENT}
    values.pop("tpnr")
    with pytest.raises(NavRejected) as rejected:
        await nav.client.call(SIMULER, _request(SIMULER, values))
    assert rejected.value.code is ErrorCode.FORBIDDEN and rejected.value.http_status == 403
    assert "TP scheme" in rejected.value.message and UNKNOWN_IDENT not in rejected.value.message
