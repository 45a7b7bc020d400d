import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from adapter.settings import BridgeSettings, KafkaSettings, LookupSettings, NavSettings, TracingSettings

ROOT = Path(__file__).parents[2]
ALL_SETTINGS: tuple[type[BaseSettings], ...] = (
    KafkaSettings,
    NavSettings,
    LookupSettings,
    BridgeSettings,
    TracingSettings,
)


def env_names(kind: type[BaseSettings]) -> list[str]:
    """The environment variable each field of `kind` is read from."""
    prefix = kind.model_config.get("env_prefix", "")
    names = []
    for field, info in kind.model_fields.items():
        alias = info.validation_alias
        names.append(alias if isinstance(alias, str) else f"{prefix}{field}".upper())
    return names


@pytest.mark.parametrize("kind", ALL_SETTINGS, ids=lambda k: k.__name__)
def test_every_setting_is_in_the_configuration_page(kind: type[BaseSettings]) -> None:
    table = (ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    # "`X` / `_FILE`" rows document a secret and the file it may come from.
    documented |= {name + "_FILE" for name in re.findall(r"`([A-Z][A-Z0-9_]+)` / `_FILE`", table)}
    missing = [name for name in env_names(kind) if name not in documented]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_MAX_IN_FLIGHT", "lots")
    with pytest.raises(ValidationError, match="max_in_flight"):
        LookupSettings()


def test_secrets_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("s3cret\n")
    monkeypatch.setenv("ADAPTER_NAV_SUBSCRIPTION_KEY_FILE", str(key_file))
    settings = NavSettings()
    key = settings.subscription_key_for("medlemskapsunntak")
    assert key is not None and key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_unknown_api_and_quota_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_NAV_BASE_URLS", '{"nope": "http://x"}')
    with pytest.raises(ValidationError, match="unknown APIs"):
        NavSettings()
    monkeypatch.delenv("ADAPTER_NAV_BASE_URLS")
    monkeypatch.setenv("ADAPTER_CALLER_QUOTAS", '{"ghost": 5}')
    with pytest.raises(ValidationError, match="unknown callers"):
        LookupSettings()


def test_subscription_key_goes_to_api_nav_no_by_default() -> None:
    settings = NavSettings(nav_subscription_key="k")
    assert settings.subscription_key_for("medlemskapsunntak") is not None
    assert settings.subscription_key_for("trygdehendelser") is not None
    assert settings.subscription_key_for("vedtaksinformasjon") is None  # pensjon-gw takes none
    assert settings.subscription_key_for("samordning") is None


def test_one_nav_connection_serves_lookup_and_feed_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_NAV_BASE_URLS", '{"frikort": "http://a", "samordning": "http://b"}')
    settings = NavSettings()
    assert settings.base_url("frikort") == "http://a" and settings.base_url("samordning") == "http://b"


def test_the_requested_scope_is_one_nav_accepts_for_the_api() -> None:
    from nav_lookup_contracts.operations import OPERATIONS_BY_NAME

    op = OPERATIONS_BY_NAME["pensjon.vedtaksinformasjon"]
    assert NavSettings().scope_for(op) == "nav:pensjon/v1/vedtaksinformasjon"
    chosen = NavSettings(nav_scopes={"vedtaksinformasjon": "nav:pensjon/vedtaksinformasjon.read"})
    assert chosen.scope_for(op) == "nav:pensjon/vedtaksinformasjon.read"
    with pytest.raises(ValidationError, match="ADAPTER_NAV_SCOPES"):
        NavSettings(nav_scopes={"vedtaksinformasjon": "nav:arbeid/v1/aap"})
    with pytest.raises(ValidationError, match="ADAPTER_NAV_SCOPES"):
        NavSettings(nav_scopes={"no-such-api": "nav:pensjon/vedtaksinformasjon.read"})


def test_the_lookups_need_tokens_of_the_configured_scopes_only() -> None:
    lookups = LookupSettings(callers={"team-a": frozenset({"nav:pensjon/v1/vedtaksinformasjon"})})
    nav = NavSettings(nav_scopes={"vedtaksinformasjon": "nav:pensjon/vedtaksinformasjon.read"})
    assert lookups.token_scopes(nav) == ["nav:pensjon/vedtaksinformasjon.read"]
    assert lookups.token_scopes(NavSettings()) == ["nav:pensjon/v1/vedtaksinformasjon"]


def test_each_caller_has_its_own_reply_topic_unless_one_is_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_CALLERS", '{"team-a": [], "team-b": []}')
    settings = LookupSettings()
    assert settings.reply_topics() == {
        "team-a": "nav.lookup.v1.replies.team-a",
        "team-b": "nav.lookup.v1.replies.team-b",
    }
    assert {"nav.lookup.v1.replies.team-a", "nav.lookup.v1.replies.team-b"} <= set(settings.output_topics())
    monkeypatch.setenv("ADAPTER_REPLY_TOPIC", "nav.lookup.v1.replies")
    assert set(LookupSettings().reply_topics().values()) == {"nav.lookup.v1.replies"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ADAPTER_REPLY_TOPIC_TEMPLATE", "nav.lookup.v1.replies", "must hold {caller} once"),
        ("ADAPTER_REPLY_TOPIC_TEMPLATE", "nav.lookup.v1.requests.{caller}", "cannot be a reply topic"),
        ("ADAPTER_REPLY_TOPIC", "nav.lookup.v1.dlq", "cannot be a reply topic"),
        ("ADAPTER_REPLY_TOPIC", "__consumer_offsets", "cannot be a reply topic"),
        ("ADAPTER_CALLER_REPLY_TO", '{"ghost": ["x"]}', "unknown callers"),
        ("ADAPTER_CALLER_REPLY_TO", '{"team-a": ["bad topic*"]}', "neither a topic name nor a prefix"),
        ("ADAPTER_CALLER_REPLY_TO", '{"team-a": ["*"]}', "neither a topic name nor a prefix"),
        ("ADAPTER_REPLY_TO_DENIED", '["a/b"]', "neither a topic name nor a prefix"),
    ],
)
def test_reply_topics_and_reply_to_lists_that_cannot_work_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv("ADAPTER_CALLERS", '{"team-a": []}')
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=re.escape(message)):
        LookupSettings()


def test_by_default_every_lookup_in_flight_has_a_nav_connection() -> None:
    # Fewer connections than slots would leave lookups waiting for a connection, not for NAV.
    connections = NavSettings.model_fields["nav_max_connections"].default
    assert connections >= LookupSettings.model_fields["max_in_flight"].default
