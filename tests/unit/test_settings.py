import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from adapter.settings import Settings

ROOT = Path(__file__).parents[2]


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"ADAPTER_{field.upper()}"


def test_every_setting_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Configuration") :]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    # "`X` / `_FILE`" rows document a secret and the file it may come from.
    documented |= {name + "_FILE" for name in re.findall(r"`([A-Z][A-Z0-9_]+)` / `_FILE`", table)}
    missing = [_env_name(f) for f in Settings.model_fields if _env_name(f) not in documented]
    assert not missing, f"settings missing from the README's configuration table: {missing}"


def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_MAX_IN_FLIGHT", "lots")
    with pytest.raises(ValidationError, match="max_in_flight"):
        Settings()


def test_secrets_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("s3cret\n")
    monkeypatch.setenv("ADAPTER_NAV_SUBSCRIPTION_KEY_FILE", str(key_file))
    settings = Settings()
    key = settings.subscription_key()
    assert key is not None and key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_unknown_api_and_quota_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADAPTER_NAV_BASE_URLS", '{"nope": "http://x"}')
    with pytest.raises(ValidationError, match="unknown APIs"):
        Settings()
    monkeypatch.delenv("ADAPTER_NAV_BASE_URLS")
    monkeypatch.setenv("ADAPTER_CALLER_QUOTAS", '{"ghost": 5}')
    with pytest.raises(ValidationError, match="unknown callers"):
        Settings()


def test_subscription_key_goes_to_api_nav_no_by_default() -> None:
    settings = Settings.model_construct()
    assert settings.sends_subscription_key("medlemskapsunntak")
    assert not settings.sends_subscription_key("vedtaksinformasjon")  # pensjon-gw takes none
