"""What a bridge-benchmark process is told: one JSON argument, like `bench.config.PipelineConfig`."""

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from adapter.bridge.settings import BridgeSettings
from devtools.dev import dev_settings
from adapter.settings import Settings
from contracts.feeds import FEED_APIS, FEEDS_BY_NAME, Feed

BRIDGE_FEED = "trygdehendelser"
"""A feed with no rate limit of NAV's, pages of 100 and numbered items: the bridge's busiest kind."""


@dataclass(frozen=True)
class BridgeBenchConfig:
    bootstrap: str
    sandbox_url: str
    key_id: str
    key_file: str
    topic: str
    """Where the events go; the bridge's checkpoint and lease topics are named after it."""
    events: int
    """How many events the feed holds: the bare loop stops after them, the driver waits for them."""
    feed: str = BRIDGE_FEED
    page_size: int = 100
    partitions: int = 4
    linger_ms: int = 0
    """The bare loop's producer linger: the bridge's (`adapter/bridge/app.py`), unless asked otherwise."""
    log_level: str = "INFO"
    profile_path: str = ""
    """If set, the process runs under pyinstrument and writes its profile here (text and .html)."""
    variant: str = ""
    """Experiments on the bridge's process (see `bridge_proc.VARIANTS`); "" is the bridge as is."""

    @property
    def table(self) -> Feed:
        return FEEDS_BY_NAME[self.feed]

    @property
    def base_url(self) -> str:
        return f"{self.sandbox_url}/{self.table.api.key}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "BridgeBenchConfig":
        return cls(**json.loads(text))

    def settings(self) -> Settings:
        """The adapter's settings as `dev_settings` gives them: Kafka, Maskinporten, the key."""
        return dev_settings(self.bootstrap, self.sandbox_url, self.key_id, Path(self.key_file))

    def bridge_settings(self) -> BridgeSettings:
        """Production defaults but for the names, and a short idle wait once the backlog is done.

        After a full page the bridge asks again at once whatever `idle_seconds` is (see
        `adapter.bridge.pacing.Pacer`); only the feed's own API key is listed as sending the
        subscription key, as on api.nav.no.
        """
        return BridgeSettings.model_validate(
            {
                "feeds": [{"feed": self.feed, "topic": self.topic, "page_size": self.page_size}],
                "checkpoint_topic": f"{self.topic}.checkpoints",
                "lease_topic_prefix": f"{self.topic}.lease.",
                "lease_group_prefix": f"{self.topic}.lease.",
                "topic_partitions": self.partitions,
                "idle_seconds": 0.05,
                "max_idle_seconds": 0.2,
                "nav_base_urls": {api.key: f"{self.sandbox_url}/{api.key}" for api in FEED_APIS},
                "nav_subscription_key_apis": [
                    api.key for api in FEED_APIS if "api.nav.no" in api.default_base_url
                ],
            }
        )
