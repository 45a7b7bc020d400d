"""The event bridge's settings (`BRIDGE_*`), read once at the composition root.

NAV credentials, Maskinporten, timeouts and Kafka come from the adapter's own `Settings`
(`ADAPTER_*`, `KAFKA_BOOTSTRAP_SERVERS`): the bridge and the lookups share one token client.
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapter.bridge.feed import ConfiguredFeed, ContinuityPolicy
from adapter.settings import SUBSCRIPTION_KEY_HOSTS
from contracts.feeds import FEED_APIS, FEEDS_BY_NAME, REQUESTS_PER_MINUTE
from contracts.lookups import TopicName, Tpnr

_FEED_API_KEYS = frozenset(api.key for api in FEED_APIS)


class FeedConfig(BaseModel):
    """One entry of `BRIDGE_FEEDS`; a plain string is shorthand for `{"feed": ...}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    feed: str
    tpnr: Tpnr | None = None
    topic: TopicName | None = None
    page_size: int | None = Field(None, ge=1)
    path: str | None = Field(None, description="Overrides the table's (inferred) HTTP path.")
    params: dict[str, str] = Field(
        default_factory=dict, description='Renames parameters by role: {"start": "hendelsesnummer"}.'
    )
    filter: str | None = Field(None, description="Trygdehendelser's hjemmelgruppe: ALLE, EOS or OEVRIGE.")
    gaps_expected: bool | None = None


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRIDGE_", extra="ignore", frozen=True)

    feeds: list[Annotated[FeedConfig | str, Field(union_mode="left_to_right")]] = Field(
        default_factory=list,
        description='Feeds to bridge, as JSON: ["trygdehendelser", {"feed": "samordning.vedtak", '
        '"tpnr": "3010"}]. A samordning feed without tpnr is bridged for every SAMORDNING_TPNR.',
    )
    samordning_tpnr: list[Tpnr] = Field(default_factory=list)
    checkpoint_topic: TopicName = "nav.bridge.v1.checkpoints"
    lease_topic_prefix: str = "nav.bridge.v1.lease."
    lease_group_prefix: str = "nav-bridge."
    lease_session_timeout_ms: int = Field(
        10_000, ge=500, description="How soon a standby notices that the active bridge is gone."
    )
    topic_partitions: int = Field(4, ge=1, description="Partitions of an events topic the bridge creates.")
    create_topics: bool = True
    continuity_policy: ContinuityPolicy = "halt"
    idle_seconds: float = Field(1.0, gt=0, description="Wait after a page that was not full.")
    max_idle_seconds: float = Field(30.0, gt=0, description="Longest wait while NAV has nothing new.")
    retry_base_seconds: float = Field(0.5, gt=0)
    retry_max_seconds: float = Field(60.0, gt=0)
    requests_per_minute: dict[str, float] = Field(
        default_factory=dict, description="API key -> NAV requests a minute, overriding NAV's limits."
    )
    key_hmac_secret: SecretStr | None = Field(None, description="If set, keys are HMAC-SHA256 of the ident.")
    key_hmac_secret_file: Path | None = None
    nav_base_urls: dict[str, str] = Field(
        default_factory=dict, description="Feed API key -> base URL, overriding NAV's production URLs."
    )
    nav_subscription_key_apis: frozenset[str] | None = Field(
        None, description="Feed APIs that get Ocp-Apim-Subscription-Key; default: those on api.nav.no."
    )
    metrics_port: int | None = Field(None, ge=1, le=65535, description="Serve Prometheus metrics here.")

    @model_validator(mode="after")
    def _check(self) -> "BridgeSettings":
        for name, mapping in (
            ("BRIDGE_NAV_BASE_URLS", self.nav_base_urls),
            ("BRIDGE_REQUESTS_PER_MINUTE", self.requests_per_minute),
        ):
            if unknown := set(mapping) - _FEED_API_KEYS:
                raise ValueError(f"{name} names unknown APIs: {sorted(unknown)}")
        self.configured_feeds()  # every feed error surfaces at start
        return self

    def configured_feeds(self) -> list[ConfiguredFeed]:
        out: list[ConfiguredFeed] = []
        for entry in self.feeds:
            config = FeedConfig(feed=entry) if isinstance(entry, str) else entry
            feed = FEEDS_BY_NAME.get(config.feed)
            if feed is None:
                raise ValueError(
                    f"BRIDGE_FEEDS: unknown feed {config.feed!r}; known: {sorted(FEEDS_BY_NAME)}"
                )
            tpnrs: list[str | None] = [None]
            if feed.per_tpnr:
                tpnrs = [config.tpnr] if config.tpnr else list(self.samordning_tpnr)
                if not tpnrs:
                    raise ValueError(f"BRIDGE_FEEDS: {feed.name} needs a tpnr or BRIDGE_SAMORDNING_TPNR")
            elif config.tpnr:
                raise ValueError(f"BRIDGE_FEEDS: {feed.name} takes no tpnr")
            if config.topic and len(tpnrs) > 1:
                raise ValueError(f"BRIDGE_FEEDS: {feed.name} for several tpnr cannot share one topic")
            for tpnr in tpnrs:
                out.append(
                    ConfiguredFeed.of(
                        feed,
                        tpnr=tpnr,
                        topic=config.topic,
                        page_size=config.page_size,
                        path=config.path,
                        params=config.params,
                        filter=config.filter,
                        gaps_expected=config.gaps_expected,
                    )
                )
        ids = [f.id for f in out]
        if len(set(ids)) != len(ids):
            raise ValueError("BRIDGE_FEEDS names a feed twice")
        topics = [f.topic for f in out]
        # A bridge resumes from what its topic already holds, so two feeds cannot share one.
        if len(set(topics)) != len(topics) or self.checkpoint_topic in topics:
            raise ValueError("BRIDGE_FEEDS: every feed needs a topic of its own")
        return out

    def base_url(self, api_key: str) -> str:
        default = next(api.default_base_url for api in FEED_APIS if api.key == api_key)
        return self.nav_base_urls.get(api_key, default)

    def sends_subscription_key(self, api_key: str) -> bool:
        if self.nav_subscription_key_apis is not None:
            return api_key in self.nav_subscription_key_apis
        return urlparse(self.base_url(api_key)).hostname in SUBSCRIPTION_KEY_HOSTS

    def rate_limit(self, api_key: str) -> float | None:
        """NAV requests a minute allowed for the API, shared by all of this process's feeds."""
        return self.requests_per_minute.get(api_key, REQUESTS_PER_MINUTE.get(api_key))

    def key_secret(self) -> bytes | None:
        if self.key_hmac_secret_file is not None:
            return self.key_hmac_secret_file.read_bytes().strip()
        return self.key_hmac_secret.get_secret_value().encode() if self.key_hmac_secret else None

    def lease_topic(self, feed_id: str) -> str:
        return self.lease_topic_prefix + feed_id

    def lease_group(self, feed_id: str) -> str:
        return self.lease_group_prefix + feed_id
