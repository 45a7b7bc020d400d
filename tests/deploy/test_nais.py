"""nais/: each environment's Applications and Topics agree with what the process reads and serves,
with the scopes and hosts its operations and feeds need, and with one another."""

from typing import Any
from urllib.parse import urlsplit

import pytest

from adapter.settings import BridgeSettings, KafkaSettings, LookupSettings, NavSettings
from adapter.shutdown import STOP_MARGIN_SECONDS
from nav_lookup_contracts.operations import OPERATIONS
from tests.deploy.manifests import (
    NAIS_ENVIRONMENTS,
    ROLE_SETTINGS,
    ROLES,
    ROOT,
    Manifest,
    caller_reply_topic,
    drain_timeout,
    load,
    of_kind,
    read_names,
    served_paths,
    set_environment,
)

MASKINPORTEN = {"dev-gcp": "https://test.maskinporten.no", "prod-gcp": "https://maskinporten.no"}
"""The Maskinporten that NAIS's clients in each cluster are registered with."""

NAIS_INJECTED_PREFIXES = (
    "KAFKA_BROKERS",
    "KAFKA_CA_PATH",
    "KAFKA_CERTIFICATE_PATH",
    "KAFKA_PRIVATE_KEY_PATH",
    "KAFKA_CREDSTORE",
    "MASKINPORTEN_",
    "NAIS_",
)


def _application(env: str, role: str) -> Manifest:
    (app,) = of_kind(load(ROOT / "nais" / env / f"{role}.yaml"), "Application")
    assert app["apiVersion"] == "nais.io/v1alpha1"
    return app


def _topics(env: str) -> dict[str, Manifest]:
    """Topic resources by the name Kafka knows them by: <team>.<metadata.name> on NAIS."""
    topics = of_kind(load(ROOT / "nais" / env / "topics.yaml"), "Topic")
    assert all(t["apiVersion"] == "kafka.nais.io/v1" for t in topics)
    return {f"{t['metadata']['namespace']}.{t['metadata']['name']}": t for t in topics}


def _env(app: Manifest) -> dict[str, str]:
    return {item["name"]: str(item["value"]) for item in app["spec"].get("env", [])}


def _injected(env: str, app: Manifest) -> dict[str, str]:
    """What NAIS adds to the pod's environment for the Kafka pool and the Maskinporten client."""
    spec = app["spec"]
    scopes = " ".join(s["name"] for s in spec["maskinporten"]["scopes"]["consumes"])
    return {
        "KAFKA_BROKERS": "broker.aivencloud.com:26484",
        "KAFKA_CA_PATH": "/var/run/secrets/nais.io/kafka/ca.crt",
        "KAFKA_CERTIFICATE_PATH": "/var/run/secrets/nais.io/kafka/kafka.crt",
        "KAFKA_PRIVATE_KEY_PATH": "/var/run/secrets/nais.io/kafka/kafka.key",
        "NAIS_POD_NAME": f"{app['metadata']['name']}-5d8f7c9b4-x2x7q",
        "MASKINPORTEN_CLIENT_ID": "nais-client-id",
        "MASKINPORTEN_ISSUER": MASKINPORTEN[env] + "/",
        "MASKINPORTEN_TOKEN_ENDPOINT": MASKINPORTEN[env] + "/token",
        "MASKINPORTEN_SCOPES": scopes,
    }


Running = tuple[KafkaSettings, NavSettings, Any]


def _settings(monkeypatch: pytest.MonkeyPatch, env: str, role: str) -> Running:
    app = _application(env, role)
    set_environment(monkeypatch, {**_injected(env, app), **_env(app)})
    return KafkaSettings(), NavSettings(), ROLE_SETTINGS[role]()


CASES = [(env, role) for env in NAIS_ENVIRONMENTS for role in ROLES]


@pytest.mark.parametrize(("env", "role"), CASES)
def test_every_variable_set_is_one_the_process_reads_and_none_is_the_platforms(env: str, role: str) -> None:
    app = _application(env, role)
    assert app["spec"]["command"] == ["nav-adapter", role]
    names = set(_env(app))
    assert names <= read_names(role), f"not read by nav-adapter {role}: {sorted(names - read_names(role))}"
    assert not [n for n in names if n.startswith(NAIS_INJECTED_PREFIXES)], "NAIS sets these itself"


@pytest.mark.parametrize(("env", "role"), CASES)
def test_the_settings_are_valid_and_files_named_are_mounted(
    env: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _application(env, role)
    kafka, nav, _ = _settings(monkeypatch, env, role)
    assert kafka.protocol() == "SSL" and kafka.group_instance_id, "mutual TLS and static membership"
    mounts = [f["mountPath"].rstrip("/") + "/" for f in app["spec"].get("filesFrom", [])]
    for name, value in _env(app).items():
        if name.endswith(("_FILE", "_PATH")):
            assert value.startswith(tuple(mounts)), f"{name}={value} is in no mounted secret"
    assert nav.nav_subscription_key_file is not None, "api.nav.no and helserefusjon want the key"


@pytest.mark.parametrize(("env", "role"), CASES)
def test_probes_and_metrics_are_what_the_process_serves_on_its_port(
    env: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _application(env, role)["spec"]
    _, _, settings = _settings(monkeypatch, env, role)
    port = settings.http_port
    assert spec["port"] == port
    for probe, path in (("liveness", "/isalive"), ("readiness", "/isready")):
        assert spec[probe]["path"] == path and path in served_paths()
        assert spec[probe].get("port", port) == port
    assert spec["prometheus"]["enabled"] is True
    assert spec["prometheus"]["path"] in served_paths() and spec["prometheus"]["path"] == "/metrics"
    assert int(spec["prometheus"]["port"]) == port


@pytest.mark.parametrize(("env", "role"), CASES)
def test_termination_grace_outlasts_the_drain(env: str, role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _application(env, role)["spec"]
    _, _, settings = _settings(monkeypatch, env, role)
    assert spec["terminationGracePeriodSeconds"] > drain_timeout(settings) + STOP_MARGIN_SECONDS
    assert spec["replicas"]["min"] >= 2, "one pod may stop while another answers (or holds the lease)"
    assert spec["resources"]["requests"]["memory"] and spec["resources"]["limits"]["memory"]


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_the_lookups_consume_every_operations_scope_and_reach_every_api(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _application(env, "lookups")["spec"]
    _, nav, lookups = _settings(monkeypatch, env, "lookups")
    consumed = {s["name"] for s in spec["maskinporten"]["scopes"]["consumes"]}
    assert spec["maskinporten"]["enabled"] is True
    assert {op.scope for op in OPERATIONS} <= consumed
    nav.check_scopes(lookups.scopes())  # what the process checks at start, with what NAIS injects
    hosts = {h["host"] for h in spec["accessPolicy"]["outbound"]["external"]}
    needed = {urlsplit(nav.base_url(op.api.key)).hostname for op in OPERATIONS}
    assert needed | {urlsplit(nav.maskinporten_token_url).hostname} <= hosts


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_the_bridge_consumes_its_feeds_scopes_and_reaches_their_apis(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _application(env, "bridge")["spec"]
    _, nav, bridge = _settings(monkeypatch, env, "bridge")
    feeds = bridge.configured_feeds()
    assert feeds, "the bridge bridges something"
    consumed = {s["name"] for s in spec["maskinporten"]["scopes"]["consumes"]}
    assert {f.feed.scope for f in feeds} <= consumed
    nav.check_scopes(f.feed.scope for f in feeds)
    hosts = {h["host"] for h in spec["accessPolicy"]["outbound"]["external"]}
    needed = {urlsplit(nav.base_url(f.feed.api.key)).hostname for f in feeds}
    assert needed | {urlsplit(nav.maskinporten_token_url).hostname} <= hosts


def _access(topic: Manifest, team: str, application: str) -> set[str]:
    grants = [
        a["access"] for a in topic["spec"]["acl"] if (a["team"], a["application"]) == (team, application)
    ]
    return {"read", "write"} if "readwrite" in grants else set(grants)


def _identity(app: Manifest) -> tuple[str, str]:
    return app["metadata"]["namespace"], app["metadata"]["name"]


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_every_topic_the_lookups_name_exists_with_the_access_they_need(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _application(env, "lookups")
    _, _, lookups = _settings(monkeypatch, env, "lookups")
    assert isinstance(lookups, LookupSettings)
    topics = _topics(env)
    adapter = _identity(app)
    reads = [*lookups.request_topics(), *(t for t, _ in lookups.retry_topics())]
    writes = [*lookups.output_topics(), *(caller_reply_topic(lookups, c) for c in lookups.callers)]
    for name in {*reads, *writes}:
        assert name in topics, f"no Topic for {name}"
        assert topics[name]["spec"]["pool"] == app["spec"]["kafka"]["pool"]
    for name in reads:
        assert "read" in _access(topics[name], *adapter), name
    for name in writes:
        assert "write" in _access(topics[name], *adapter), name


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_a_caller_may_write_its_request_topic_and_read_its_reply_topic_only(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, lookups = _settings(monkeypatch, env, "lookups")
    assert isinstance(lookups, LookupSettings)
    topics = _topics(env)
    ours = {_identity(_application(env, role)) for role in ROLES}
    assert lookups.callers, "a caller to serve"
    for request_topic, caller in lookups.request_topics().items():
        reply_topic = caller_reply_topic(lookups, caller)
        others = {(a["team"], a["application"]) for a in topics[request_topic]["spec"]["acl"]} - ours
        assert len(others) == 1, f"{request_topic}: one caller writes it"
        (identity,) = others
        assert _access(topics[request_topic], *identity) == {"write"}
        assert _access(topics[reply_topic], *identity) == {"read"}
        for name, topic in topics.items():
            if name not in (request_topic, reply_topic):
                assert not _access(topic, *identity), f"caller {caller} has access to {name}"


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_every_topic_the_bridge_names_exists_as_the_bridge_would_create_it(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _application(env, "bridge")
    _, _, bridge = _settings(monkeypatch, env, "bridge")
    assert isinstance(bridge, BridgeSettings)
    assert bridge.create_topics is False, "on NAIS topics are Topic resources, not created by the bridge"
    topics = _topics(env)
    identity = _identity(app)
    feeds = bridge.configured_feeds()
    for name in [
        bridge.checkpoint_topic,
        *(f.topic for f in feeds),
        *(bridge.lease_topic(f.id) for f in feeds),
    ]:
        assert name in topics, f"no Topic for {name}"
        assert _access(topics[name], *identity) == {"read", "write"}, name
        assert topics[name]["spec"]["pool"] == app["spec"]["kafka"]["pool"]
    checkpoints = topics[bridge.checkpoint_topic]["spec"]["config"]
    assert checkpoints["cleanupPolicy"] == "compact" and checkpoints["partitions"] == 1
    for feed in feeds:
        assert topics[bridge.lease_topic(feed.id)]["spec"]["config"]["partitions"] == 1


@pytest.mark.parametrize("env", NAIS_ENVIRONMENTS)
def test_every_topic_resource_is_one_the_configuration_names(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, lookups = _settings(monkeypatch, env, "lookups")
    _, _, bridge = _settings(monkeypatch, env, "bridge")
    assert isinstance(lookups, LookupSettings) and isinstance(bridge, BridgeSettings)
    feeds = bridge.configured_feeds()
    named = {
        *lookups.request_topics(),
        *lookups.output_topics(),
        *(t for t, _ in lookups.retry_topics()),
        *(caller_reply_topic(lookups, c) for c in lookups.callers),
        bridge.checkpoint_topic,
        *(f.topic for f in feeds),
        *(bridge.lease_topic(f.id) for f in feeds),
    }
    assert set(_topics(env)) == named
