"""Settings, read once from the environment at a composition root and passed down as values.

One Kafka connection (`KAFKA_*`) and one NAV connection (`ADAPTER_NAV_*`, `ADAPTER_MASKINPORTEN_*`)
serve both roles; `LookupSettings` (`ADAPTER_*`) and `BridgeSettings` (`BRIDGE_*`) hold what only
one role needs. Every field is typed and validated at start; a bad value stops the process with a
message that names the setting. Secrets are `SecretStr` and may come from a file (`..._FILE`).
"""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapter.bridge.feed import ConfiguredFeed, ContinuityPolicy
from contracts.feeds import FEED_APIS, FEEDS_BY_NAME, REQUESTS_PER_MINUTE
from contracts.lookups import TopicName, Tpnr
from contracts.operations import APIS, Api

APIS_BY_KEY: dict[str, Api] = {api.key: api for api in (*APIS, *FEED_APIS)}


class LogSettings(BaseSettings):
    """Read before anything else, so every command logs as configured from its first line."""

    model_config = SettingsConfigDict(env_prefix="ADAPTER_", extra="ignore", frozen=True)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG adds a line per ok lookup."
    )


class KafkaSettings(BaseSettings):
    """The Kafka connection every client of every role is built with."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", frozen=True)

    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers (host:port, comma-separated)."
    )


class NavSettings(BaseSettings):
    """The NAV connection both roles call through: base URLs, keys, timeouts, Maskinporten."""

    model_config = SettingsConfigDict(env_prefix="ADAPTER_", extra="ignore", frozen=True)

    consumer_id: str = Field("nav-kafka-adapter", description="Sent to NAV as Nav-Consumer-Id.")
    nav_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="API key -> base URL (lookup and feed APIs), overriding NAV's production URLs.",
    )
    nav_subscription_key: SecretStr | None = None
    nav_subscription_key_file: Path | None = None
    nav_subscription_key_apis: frozenset[str] | None = Field(
        None, description="APIs that get Ocp-Apim-Subscription-Key; default: those behind api.nav.no."
    )
    nav_timeout_seconds: float = Field(10.0, gt=0)
    nav_connect_timeout_seconds: float = Field(3.0, gt=0)
    nav_retry_attempts: int = Field(3, ge=1, le=10)
    nav_max_connections: int = Field(200, ge=1)
    nav_breaker_threshold: int = Field(
        5, ge=1, description="Transient failures in a row that open an API's circuit."
    )
    nav_breaker_cooldown_seconds: float = Field(10.0, gt=0)
    http_transport: Literal["aiohttp", "httpx"] = "aiohttp"

    maskinporten_token_url: str = "https://test.maskinporten.no/token"
    maskinporten_issuer: str = "https://test.maskinporten.no/"
    maskinporten_client_id: str = ""
    maskinporten_key_id: str = ""
    maskinporten_private_key: SecretStr | None = None
    maskinporten_private_key_file: Path | None = None

    @model_validator(mode="after")
    def _check(self) -> "NavSettings":
        for name, keys in (
            ("ADAPTER_NAV_BASE_URLS", set(self.nav_base_urls)),
            ("ADAPTER_NAV_SUBSCRIPTION_KEY_APIS", set(self.nav_subscription_key_apis or ())),
        ):
            if unknown := keys - set(APIS_BY_KEY):
                raise ValueError(f"{name} names unknown APIs: {sorted(unknown)}")
        return self

    def base_url(self, api_key: str) -> str:
        return self.nav_base_urls.get(api_key, APIS_BY_KEY[api_key].default_base_url)

    def sends_subscription_key(self, api_key: str) -> bool:
        if self.nav_subscription_key_apis is not None:
            return api_key in self.nav_subscription_key_apis
        return APIS_BY_KEY[api_key].subscription_key

    def subscription_key_for(self, api_key: str) -> SecretStr | None:
        """The key this API is sent, or None: the one place that decides."""
        if not self.sends_subscription_key(api_key):
            return None
        if self.nav_subscription_key_file is not None:
            return SecretStr(self.nav_subscription_key_file.read_text().strip())
        return self.nav_subscription_key

    def private_key_pem(self) -> SecretStr:
        if self.maskinporten_private_key_file is not None:
            return SecretStr(self.maskinporten_private_key_file.read_text())
        if self.maskinporten_private_key is None:
            raise ValueError(
                "ADAPTER_MASKINPORTEN_PRIVATE_KEY or ADAPTER_MASKINPORTEN_PRIVATE_KEY_FILE is required"
            )
        return self.maskinporten_private_key


class _RoleSettings(BaseSettings):
    """What each role has of its own: its health server and the secret its record keys use."""

    http_host: str = Field("0.0.0.0", description="Where /isalive, /isready and /metrics listen.")
    http_port: int = Field(
        8080, ge=0, le=65535, description="Port of the health and metrics server; 0 picks one."
    )
    key_hmac_secret: SecretStr | None = Field(
        None, description="If set, record keys are HMAC-SHA256 of the person's ident."
    )
    key_hmac_secret_file: Path | None = None

    def key_secret(self) -> bytes | None:
        if self.key_hmac_secret_file is not None:
            return self.key_hmac_secret_file.read_bytes().strip()
        return self.key_hmac_secret.get_secret_value().encode() if self.key_hmac_secret else None


class LookupSettings(_RoleSettings):
    model_config = SettingsConfigDict(env_prefix="ADAPTER_", extra="ignore", frozen=True)

    consumer_group: str = Field("nav-lookup-adapter", description="Consumer group of all instances.")
    kafka_fetch_max_wait_ms: int = Field(
        100, ge=1, description="Longest a fetch waits for data: bounds the latency a quiet partition adds."
    )
    kafka_max_batch: int = Field(200, ge=1, description="Records taken from Kafka at a time.")
    kafka_producer_batch_bytes: int = Field(
        524_288,
        ge=16_384,
        le=1_000_000,
        description="Bytes a producer batch per partition may hold (aiokafka's default is 16 KiB): "
        "a full batch makes every later send wait for it to drain.",
    )
    kafka_session_timeout_ms: int = Field(
        10_000, ge=1000, description="How soon the group notices a dead instance and hands its partitions on."
    )
    callers: dict[str, frozenset[str]] = Field(
        default_factory=dict,
        description='Caller name -> NAV scopes it may use, as JSON: {"team-a": ["nav:..."]}. '
        "Each caller writes to REQUEST_TOPIC_PREFIX + its name.",
    )
    request_topic_prefix: str = "nav.lookup.v1.requests."
    reply_topic: str = "nav.lookup.v1.replies"
    dead_letter_topic: str = "nav.lookup.v1.dlq"
    audit_topic: str = "nav.lookup.v1.audit"
    retry_topic_prefix: str = "nav.lookup.v1.retry."
    retry_delays_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 30.0],
        description="Delays of the retry topics a request moves through while NAV is unavailable.",
    )
    max_in_flight: int = Field(256, ge=1, le=10_000, description="Lookups in flight per instance.")
    allow_synthetic_idents: bool = Field(False, description="Accept test idents (month +40/+80).")
    dedupe_window_seconds: float = Field(
        300.0, ge=0, description="A request id seen again is not re-sent to NAV."
    )
    caller_quotas: dict[str, float] = Field(
        default_factory=dict, description='Caller -> lookups a second, as JSON: {"team-a": 50}.'
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="Where traces go; none: not exported.",
    )

    @model_validator(mode="after")
    def _check(self) -> "LookupSettings":
        unknown_quota = set(self.caller_quotas) - set(self.callers)
        if unknown_quota:
            raise ValueError(f"ADAPTER_CALLER_QUOTAS names unknown callers: {sorted(unknown_quota)}")
        for name in self.callers:
            if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValueError(f"ADAPTER_CALLERS: caller name {name!r} is not a topic suffix")
        return self

    def scopes(self) -> list[str]:
        """Every scope some caller may use: the tokens the lookups need."""
        return sorted({scope for allowed in self.callers.values() for scope in allowed})

    def retry_topics(self) -> tuple[tuple[str, float], ...]:
        return tuple(
            (f"{self.retry_topic_prefix}{i}", delay) for i, delay in enumerate(self.retry_delays_seconds, 1)
        )

    def output_topics(self) -> list[str]:
        """Every topic the lookups write to, for deployments that let the adapter create them."""
        return [
            self.reply_topic,
            self.dead_letter_topic,
            self.audit_topic,
            *(t for t, _ in self.retry_topics()),
        ]

    def request_topics(self) -> dict[str, str]:
        """Request topic -> caller name."""
        return {self.request_topic_prefix + name: name for name in self.callers}


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


class BridgeSettings(_RoleSettings):
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

    @model_validator(mode="after")
    def _check(self) -> "BridgeSettings":
        if unknown := set(self.requests_per_minute) - {api.key for api in FEED_APIS}:
            raise ValueError(f"BRIDGE_REQUESTS_PER_MINUTE names unknown APIs: {sorted(unknown)}")
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

    def rate_limit(self, api_key: str) -> float | None:
        """NAV requests a minute allowed for the API, shared by all of this process's feeds."""
        return self.requests_per_minute.get(api_key, REQUESTS_PER_MINUTE.get(api_key))

    def lease_topic(self, feed_id: str) -> str:
        return self.lease_topic_prefix + feed_id

    def lease_group(self, feed_id: str) -> str:
        return self.lease_group_prefix + feed_id
