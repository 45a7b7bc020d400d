"""Settings as the environment variables a process reads them back from."""

import json

from pydantic import SecretStr
from pydantic_settings import BaseSettings


def settings_env(*settings: BaseSettings, only_set: bool = False) -> dict[str, str]:
    """The environment a process needs to build each of `settings` again from the environment;
    with `only_set`, only the fields given when each was made (the rest are defaults anyway)."""
    env: dict[str, str] = {}
    for model in settings:
        prefix = model.model_config.get("env_prefix", "")
        dumped = model.model_dump(mode="json")
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            if value is None or (only_set and name not in model.model_fields_set):
                continue
            value = value.get_secret_value() if isinstance(value, SecretStr) else dumped[name]
            text = json.dumps(value) if isinstance(value, list | dict | bool) else str(value)
            alias = info.validation_alias
            env[alias if isinstance(alias, str) else f"{prefix}{name}".upper()] = text
    return env
