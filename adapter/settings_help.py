"""The settings a command reads, for its `--help`: built from the settings classes, so the list
cannot fall behind them."""

import textwrap

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings


def env_name(kind: type[BaseSettings], name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        return " or ".join(str(choice) for choice in alias.choices)
    return f"{kind.model_config.get('env_prefix', '')}{name}".upper()


_INDENT = " " * 6


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if value is None or value == "" or value == {} or value == [] or value == frozenset():
        return "unset"
    return f"default {value!r}" if len(repr(value)) <= 40 else "default: see docs/configuration.md"


def settings_epilog(*kinds: type[BaseSettings]) -> str:
    """One entry per environment variable of `kinds`: name, default and what it is."""
    lines = ["settings (environment variables; docs/configuration.md has them all):"]
    for kind in kinds:
        for name, info in kind.model_fields.items():
            lines.append(f"  {env_name(kind, name, info)}  ({_default(info)})")
            if info.description:
                lines.extend(
                    textwrap.wrap(info.description, 88, initial_indent="      ", subsequent_indent="      ")
                )
    return "\n".join(lines)
