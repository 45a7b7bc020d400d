"""Settings, read once from the environment at the composition root and passed down as values.

Every field is typed and validated at start; a bad value stops the process with a message that
names the setting. Secrets are `SecretStr` and may come from a file (`..._FILE`).
"""

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.operations import APIS

SUBSCRIPTION_KEY_HOSTS = ("api.nav.no", "api-preprod.nav.no")


class LogSettings(BaseSettings):
    """Read before anything else, so every command logs as configured from its first line."""

    model_config = SettingsConfigDict(env_prefix="ADAPTER_", extra="ignore", frozen=True)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG adds a line per ok lookup."
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ADAPTER_", extra="ignore", frozen=True, populate_by_name=True
    )

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        description="Kafka bootstrap servers (host:port, comma-separated).",
    )
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
    key_hmac_secret: SecretStr | None = Field(
        None, description="If set, reply and audit keys are HMAC-SHA256 of the ident."
    )
    key_hmac_secret_file: Path | None = None

    http_host: str = Field("0.0.0.0", description="Where /isalive, /isready and /metrics listen.")
    http_port: int = Field(
        8080, ge=0, le=65535, description="Port of the health and metrics server; 0 picks one."
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="Where traces go; none: not exported.",
    )
    consumer_id: str = Field("nav-kafka-adapter", description="Sent to NAV as Nav-Consumer-Id.")
    nav_base_urls: dict[str, str] = Field(
        default_factory=dict, description="API key -> base URL, overriding NAV's production URLs."
    )
    nav_subscription_key: SecretStr | None = None
    nav_subscription_key_file: Path | None = None
    nav_subscription_key_apis: frozenset[str] | None = Field(
        None, description="APIs that get Ocp-Apim-Subscription-Key; default: those on api.nav.no."
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
    def _check(self) -> "Settings":
        unknown = set(self.nav_base_urls) - {api.key for api in APIS}
        if unknown:
            raise ValueError(f"ADAPTER_NAV_BASE_URLS names unknown APIs: {sorted(unknown)}")
        unknown_quota = set(self.caller_quotas) - set(self.callers)
        if unknown_quota:
            raise ValueError(f"ADAPTER_CALLER_QUOTAS names unknown callers: {sorted(unknown_quota)}")
        for name in self.callers:
            if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValueError(f"ADAPTER_CALLERS: caller name {name!r} is not a topic suffix")
        return self

    def base_url(self, api_key: str) -> str:
        default = next(api.default_base_url for api in APIS if api.key == api_key)
        return self.nav_base_urls.get(api_key, default)

    def sends_subscription_key(self, api_key: str) -> bool:
        if self.nav_subscription_key_apis is not None:
            return api_key in self.nav_subscription_key_apis
        return urlparse(self.base_url(api_key)).hostname in SUBSCRIPTION_KEY_HOSTS

    def subscription_key(self) -> SecretStr | None:
        if self.nav_subscription_key_file is not None:
            return SecretStr(self.nav_subscription_key_file.read_text().strip())
        return self.nav_subscription_key

    def key_secret(self) -> bytes | None:
        if self.key_hmac_secret_file is not None:
            return self.key_hmac_secret_file.read_bytes().strip()
        return self.key_hmac_secret.get_secret_value().encode() if self.key_hmac_secret else None

    def private_key_pem(self) -> SecretStr:
        if self.maskinporten_private_key_file is not None:
            return SecretStr(self.maskinporten_private_key_file.read_text())
        if self.maskinporten_private_key is None:
            raise ValueError(
                "ADAPTER_MASKINPORTEN_PRIVATE_KEY or ADAPTER_MASKINPORTEN_PRIVATE_KEY_FILE is required"
            )
        return self.maskinporten_private_key

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
