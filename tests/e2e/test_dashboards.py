"""The dashboard and the alert rules ask only for metrics the running processes serve: a
`nav-adapter lookups` and a `nav-adapter bridge` process are scraped, and every metric name in
dashboards/ and nais/alerts.yaml must be among what they answered."""

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devtools.devkeys import DevKeys
from devtools.embedded_broker import free_port
from tests.support.bridge import BridgeProcess, bridge_settings, feed_sandbox, wait_for_records
from tests.support.processes import AdapterProcess
from tests.support.stack import open_stack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
METRIC = re.compile(r"\bnav_(?:adapter|bridge)_[a-z0-9_]+\b")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created")}


def _dashboard_queries() -> Iterator[str]:
    for path in sorted((ROOT / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                yield target["expr"]
        for variable in dashboard["templating"]["list"]:
            if isinstance(variable.get("query"), dict):
                yield variable["query"]["query"]


def _alert_rules() -> list[dict[str, Any]]:
    rule_file = yaml.safe_load((ROOT / "nais" / "alerts.yaml").read_text())
    assert rule_file["kind"] == "PrometheusRule"
    return [rule for group in rule_file["spec"]["groups"] for rule in group["rules"]]


def test_every_alert_says_what_it_means_and_what_to_do() -> None:
    rules = _alert_rules()
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert {"summary", "consequence", "action"} <= set(rule["annotations"]), rule["alert"]


def _served(text: str, into: dict[str, str]) -> None:
    """Every metric family of a scrape, by name, with its type."""
    for family in text_string_to_metric_families(text):
        into[family.name] = family.type


def _is_served(name: str, served: dict[str, str]) -> bool:
    if served.get(name) in ("gauge", "untyped"):
        return True
    return any(
        name.endswith(suffix) and served.get(name.removesuffix(suffix)) == kind
        for kind, suffixes in SUFFIXES.items()
        for suffix in suffixes
    )


async def _metrics(port: int, timeout: float = 60.0) -> str:
    async with httpx.AsyncClient() as http, asyncio.timeout(timeout):
        while True:
            try:
                answer = await http.get(f"http://127.0.0.1:{port}/metrics")
                if answer.status_code == 200:
                    return answer.text
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)


async def test_every_metric_the_dashboard_and_alerts_use_is_served(
    kafka_bootstrap: str, dev_keys: DevKeys, tmp_path: Path
) -> None:
    used = {m for query in _dashboard_queries() for m in METRIC.findall(query)}
    used |= {m for rule in _alert_rules() for m in METRIC.findall(rule["expr"])}
    assert len(used) > 15  # every area: lookups, NAV, tokens, bridge
    served: dict[str, str] = {}

    port = free_port()
    async with open_stack(kafka_bootstrap, tmp_path, in_process_adapter=False, http_port=port) as stack:
        lookups = AdapterProcess(stack.environment(), tmp_path / "lookups.log")
        lookups.start()
        try:
            assert (await stack.ask("frikort.brev", ident="14435512160", timeout=90))["status"] == "ok"
            _served(await _metrics(port), served)
            assert lookups.terminate() == 0
        finally:
            lookups.kill()

    async with feed_sandbox(kafka_bootstrap, dev_keys) as sandbox:
        bridge = bridge_settings(sandbox, ["trygdehendelser"])
        (feed,) = bridge.configured_feeds()
        process = BridgeProcess(sandbox, bridge, tmp_path / "bridge.log", http_port=bridge.http_port)
        process.start()
        try:
            await wait_for_records(kafka_bootstrap, feed.topic, 20, timeout=60)
            _served(await _metrics(bridge.http_port), served)
            assert process.terminate() == 0
        finally:
            process.kill()

    missing = sorted(name for name in used if not _is_served(name, served))
    assert not missing, f"used by dashboards/ or nais/alerts.yaml but not served: {missing}"
