"""What a pipeline process is told: passed as one JSON argument, so each runs in its own process."""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from devtools.dev import DEV_CALLER, dev_settings
from adapter.settings import Settings

Transport = Literal["aiohttp", "httpx"]


@dataclass(frozen=True)
class PipelineConfig:
    bootstrap: str
    sandbox_url: str
    key_id: str
    key_file: str
    request_topic_prefix: str
    """The request topic is this plus the `dev` caller's name (the adapter's naming)."""
    reply_topic: str
    group: str
    max_in_flight: int
    audit_topic: str = ""
    dead_letter_topic: str = ""
    transport: Transport = "aiohttp"
    log_level: str = "INFO"
    fetch_max_wait_ms: int = 0
    """If above 0, the pipeline's consumers wait at most this long on an empty fetch."""
    variant: str = ""
    """An experiment on the adapter's process (see `adapter_proc.VARIANTS`); "" is the adapter as is."""
    profile_path: str = ""
    """If set, the adapter runs under pyinstrument and writes its profile here (text and .html)."""

    @property
    def request_topic(self) -> str:
        return self.request_topic_prefix + DEV_CALLER

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "PipelineConfig":
        return cls(**json.loads(text))

    def settings(self) -> Settings:
        """The adapter's settings: `dev_settings` (every scope for `dev`) with the bench's topics."""
        base = dev_settings(self.bootstrap, self.sandbox_url, self.key_id, Path(self.key_file))
        fetch = {"kafka_fetch_max_wait_ms": self.fetch_max_wait_ms} if self.fetch_max_wait_ms > 0 else {}
        return base.model_copy(
            update={
                **fetch,
                "retry_topic_prefix": self.reply_topic + ".retry.",
                "http_port": 0,
                "request_topic_prefix": self.request_topic_prefix,
                "reply_topic": self.reply_topic,
                "audit_topic": self.audit_topic or self.reply_topic + ".audit",
                "dead_letter_topic": self.dead_letter_topic or self.reply_topic + ".dlq",
                "consumer_group": self.group,
                "max_in_flight": self.max_in_flight,
                "http_transport": self.transport,
            }
        )
