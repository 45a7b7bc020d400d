"""Reading the deployment manifests (nais/, k8s/) and what the process makes of their settings."""

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk import environment_variables
from prometheus_client import CollectorRegistry
from pydantic import AliasChoices
from pydantic_settings import BaseSettings
from starlette.routing import Route

from adapter.lookup.scheduler import LookupScheduler
from adapter.observability.health import ReadinessChecks, create_health_app
from adapter.settings import (
    BridgeSettings,
    KafkaSettings,
    LogSettings,
    LookupSettings,
    NavSettings,
    TracingSettings,
)

ROOT = Path(__file__).parents[2]
NAIS_ENVIRONMENTS = ("dev-gcp", "prod-gcp")
ROLES = ("lookups", "bridge")
ROLE_SETTINGS: dict[str, type[LookupSettings] | type[BridgeSettings]] = {
    "lookups": LookupSettings,
    "bridge": BridgeSettings,
}

Manifest = dict[str, Any]


def load(path: Path) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def of_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [doc for doc in docs if doc["kind"] == kind]


def env_names(kind: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads, each alias included."""
    prefix = kind.model_config.get("env_prefix", "")
    names: set[str] = set()
    for field, info in kind.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names |= {choice for choice in alias.choices if isinstance(choice, str)}
        else:
            names.add(f"{prefix}{field}".upper())
    return names


OTEL_NAMES = {name for name in dir(environment_variables) if name.startswith("OTEL_")}
"""The OpenTelemetry SDK's standard variables, which it reads itself."""


def read_names(role: str) -> set[str]:
    """What `nav-adapter ROLE` reads from its environment."""
    kinds = (KafkaSettings, NavSettings, LogSettings, TracingSettings, ROLE_SETTINGS[role])
    return set().union(*(env_names(kind) for kind in kinds)) | OTEL_NAMES


def served_paths() -> set[str]:
    """The paths the health server of either role serves."""
    app = create_health_app(ReadinessChecks(), CollectorRegistry())
    return {route.path for route in app.routes if isinstance(route, Route)}


def drain_timeout(role: LookupSettings | BridgeSettings) -> float:
    """The longest a role takes after SIGTERM to finish what it has in flight."""
    configured = getattr(role, "drain_timeout_seconds", None)
    if configured is not None:
        return float(configured)
    default = inspect.signature(LookupScheduler.__init__).parameters["drain_timeout"].default
    return float(default)


def set_environment(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """The process environment as the pod sees it: these variables of ours and no others."""
    for name in {name for role in ROLES for name in read_names(role)}:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def caller_reply_topic(lookups: LookupSettings, caller: str) -> str:
    """The reply topic a caller reads: its own, from the template."""
    return lookups.reply_topic_of(caller)
