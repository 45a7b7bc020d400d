"""Settings, read once from the environment at a composition root and passed down as values.

One Kafka connection (`KAFKA_*`) and one NAV connection (`ADAPTER_NAV_*`, `ADAPTER_MASKINPORTEN_*`)
serve both roles; `LookupSettings` (`ADAPTER_*`) and `BridgeSettings` (`BRIDGE_*`) hold what only
one role needs. Every field is typed and validated at start; a bad value stops the process with a
message that names the setting. Secrets are `SecretStr` and may come from a file (`..._FILE`).
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import InvalidKeyError
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    FilePath,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapter.bridge.feed import ConfiguredFeed, ContinuityPolicy
from nav_lookup_contracts.feeds import FEED_APIS, FEEDS_BY_NAME, REQUESTS_PER_MINUTE
from nav_lookup_contracts.lookups import TOPIC_NAME_PATTERN, TopicName, Tpnr
from nav_lookup_contracts.operations import APIS, OPERATIONS, Api, Operation
from nav_lookup_contracts.topics import EVENTS_TOPIC_PREFIX

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
Compression = Literal["none", "gzip", "lz4", "snappy", "zstd"]

APIS_BY_KEY: dict[str, Api] = {api.key: api for api in (*APIS, *FEED_APIS)}


class LogSettings(BaseSettings):
    """Read before anything else, so every command logs as configured from its first line."""

    model_config = SettingsConfigDict(env_prefix="ADAPTER_", extra="ignore", frozen=True)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG adds a line per ok lookup."
    )
    log_format: Literal["json", "text"] | None = Field(
        None,
        description="json: one JSON object a line on stdout (the roles' default, for the log pipeline); "
        "text: readable lines on stderr (the development commands' default).",
    )


class TracingSettings(BaseSettings):
    """OpenTelemetry's own variables, read to decide whether spans are made at all; the SDK reads
    the rest (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_*`, ...)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)
    otel_exporter_otlp_endpoint: str | None = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP endpoint for traces (`/v1/traces` is appended); none: no spans.",
    )
    otel_exporter_otlp_traces_endpoint: str | None = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        description="The full traces URL, instead of OTEL_EXPORTER_OTLP_ENDPOINT.",
    )
    otel_service_name: str | None = Field(
        None, validation_alias="OTEL_SERVICE_NAME", description="Default: nav-adapter-ROLE."
    )
    otel_sdk_disabled: bool = Field(False, validation_alias="OTEL_SDK_DISABLED")
    otel_traces_exporter: str = Field(
        "otlp", validation_alias="OTEL_TRACES_EXPORTER", description="`none` turns traces off."
    )

    def exports(self) -> bool:
        endpoint = self.otel_exporter_otlp_traces_endpoint or self.otel_exporter_otlp_endpoint
        return bool(endpoint) and not self.otel_sdk_disabled and self.otel_traces_exporter != "none"


class KafkaSettings(BaseSettings):
    """The Kafka connection every client of every role is built with.

    NAV's platform (NAIS, Aiven) injects `KAFKA_BROKERS`, `KAFKA_CA_PATH`, `KAFKA_CERTIFICATE_PATH`
    and `KAFKA_PRIVATE_KEY_PATH`; they are read as they are, and a client certificate means mutual
    TLS. SASL (Confluent Cloud and others) is `KAFKA_SASL_*` over `SASL_SSL`.
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", frozen=True, populate_by_name=True)

    bootstrap_servers: str | None = Field(
        None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BROKERS"),
        description="Kafka bootstrap servers (host:port, comma-separated); KAFKA_BROKERS on NAIS. "
        "Required outside `nav-adapter dev`.",
    )
    security_protocol: SecurityProtocol | None = Field(
        None,
        description="Default: SSL when a CA or client certificate is given, SASL_SSL when a SASL "
        "mechanism is, else PLAINTEXT.",
    )
    ca_path: Path | None = Field(
        None, description="PEM file of the CA that signed the brokers' certificates."
    )
    certificate_path: Path | None = Field(
        None, description="PEM client certificate: mutual TLS (with KAFKA_PRIVATE_KEY_PATH)."
    )
    private_key_path: Path | None = Field(None, description="PEM private key of the client certificate.")
    credstore_password: SecretStr | None = Field(
        None, description="Password of KAFKA_PRIVATE_KEY_PATH when the key is encrypted."
    )
    ssl_check_hostname: bool = Field(
        True, description="Check that a broker's certificate names its host; off only on purpose."
    )
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_password_file: Path | None = None
    compression: Compression = Field(
        "none", description="Compression of the records the adapter writes (any is read)."
    )
    broker_kind: Literal["kafka", "tansu"] = Field(
        "kafka",
        description="tansu: the embedded development broker, with its workarounds and no "
        "idempotent producer.",
    )
    enable_idempotence: bool | None = Field(
        None, description="Idempotent producers; default: on, except on Tansu which has none."
    )
    group_instance_id: str | None = Field(
        None,
        validation_alias=AliasChoices("KAFKA_GROUP_INSTANCE_ID", "NAIS_POD_NAME"),
        description="Static group membership: a restarted instance takes its partitions back at "
        "once. Default on NAIS: the pod's name; set empty for a dynamic member.",
    )
    connect_timeout_seconds: float = Field(
        20.0, gt=0, le=25, description="How long the start waits for Kafka before it stops."
    )
    request_timeout_ms: int = Field(
        40_000,
        ge=5_000,
        description="How long a Kafka request may go unanswered before the client drops the "
        "connection and retries; longer than a consumer group's slowest rebalance.",
    )

    @field_validator("group_instance_id")
    @classmethod
    def _empty_means_dynamic(cls, value: str | None) -> str | None:
        # KAFKA_GROUP_INSTANCE_ID= (empty) wins over NAIS_POD_NAME: no static membership.
        return value or None

    @model_validator(mode="after")
    def _check(self) -> "KafkaSettings":
        protocol = self.protocol()
        if (self.certificate_path is None) != (self.private_key_path is None):
            raise ValueError("KAFKA_CERTIFICATE_PATH and KAFKA_PRIVATE_KEY_PATH go together")
        if protocol.startswith("SASL"):
            if self.sasl_mechanism is None or not self.sasl_username:
                raise ValueError(f"{protocol} needs KAFKA_SASL_MECHANISM and KAFKA_SASL_USERNAME")
            if self.sasl_password is None and self.sasl_password_file is None:
                raise ValueError(f"{protocol} needs KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE")
        elif self.sasl_mechanism is not None:
            raise ValueError(f"KAFKA_SASL_MECHANISM needs a SASL KAFKA_SECURITY_PROTOCOL, not {protocol}")
        if not protocol.endswith("SSL") and (self.ca_path or self.certificate_path):
            raise ValueError(f"KAFKA_CA_PATH and KAFKA_CERTIFICATE_PATH need TLS, not {protocol}")
        return self

    def protocol(self) -> SecurityProtocol:
        if self.security_protocol is not None:
            return self.security_protocol
        if self.sasl_mechanism is not None:
            return "SASL_SSL"
        if self.ca_path or self.certificate_path:
            return "SSL"
        return "PLAINTEXT"

    def brokers(self) -> str:
        if not self.bootstrap_servers:
            raise ValueError("KAFKA_BROKERS (or KAFKA_BOOTSTRAP_SERVERS) is not set: no Kafka to connect to")
        return self.bootstrap_servers

    def sasl_secret(self) -> str:
        if self.sasl_password_file is not None:
            return self.sasl_password_file.read_text().strip()
        return self.sasl_password.get_secret_value() if self.sasl_password else ""

    def idempotent(self) -> bool:
        if self.enable_idempotence is not None:
            return self.enable_idempotence
        return self.broker_kind != "tansu"


class NavSettings(BaseSettings):
    """The NAV connection both roles call through: base URLs, keys, timeouts, Maskinporten.

    Maskinporten is read as NAV's platform hands it over (`MASKINPORTEN_CLIENT_ID`,
    `MASKINPORTEN_CLIENT_JWK`, `MASKINPORTEN_ISSUER`, `MASKINPORTEN_TOKEN_ENDPOINT`,
    `MASKINPORTEN_SCOPES`) or as `ADAPTER_MASKINPORTEN_*` with a PEM key. The defaults are
    production, as NAV's base URLs are.
    """

    model_config = SettingsConfigDict(
        env_prefix="ADAPTER_", extra="ignore", frozen=True, populate_by_name=True
    )

    consumer_id: str = Field("nav-kafka-adapter", description="Sent to NAV as Nav-Consumer-Id.")
    nav_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="API key -> base URL (lookup and feed APIs), overriding NAV's production URLs.",
    )
    nav_scopes: dict[str, str] = Field(
        default_factory=dict,
        description="API key -> the scope its tokens are requested for, where NAV accepts more than "
        'one, as JSON: {"vedtaksinformasjon": "nav:pensjon/vedtaksinformasjon.read"}.',
    )
    nav_consent_tokens_max: int = Field(
        10_000, ge=1, description="Consent-bearing tokens (one per consent and person) kept at most."
    )
    nav_subscription_key: SecretStr | None = None
    nav_subscription_key_file: Path | None = None
    nav_subscription_key_apis: frozenset[str] | None = Field(
        None, description="APIs that get Ocp-Apim-Subscription-Key; default: those behind api.nav.no."
    )
    nav_timeout_seconds: float = Field(10.0, gt=0)
    nav_connect_timeout_seconds: float = Field(3.0, gt=0)
    nav_retry_attempts: int = Field(3, ge=1, le=10)
    nav_max_connections: int = Field(
        256,
        ge=1,
        description="Connections to NAV at most, all APIs together; with fewer than the lookups' "
        "max_in_flight, lookups beyond them wait for a connection.",
    )
    nav_breaker_threshold: int = Field(
        5, ge=1, description="Transient failures in a row that open an API's circuit."
    )
    nav_breaker_cooldown_seconds: float = Field(10.0, gt=0)
    http_transport: Literal["aiohttp", "httpx"] = "aiohttp"
    # HTTPS to NAV and Maskinporten: whom to trust, and the egress proxy NAV's platform may set.
    nav_ca_bundle: FilePath | None = Field(
        None,
        description="PEM file of the CAs trusted for NAV and Maskinporten, instead of the default "
        "(certifi's, or SSL_CERT_FILE / SSL_CERT_DIR where set).",
    )
    https_proxy: str | None = Field(
        None,
        validation_alias="HTTPS_PROXY",
        description="Proxy for https:// calls to NAV and Maskinporten (HTTP CONNECT).",
    )
    http_proxy: str | None = Field(
        None,
        validation_alias="HTTP_PROXY",
        description="Proxy for http:// calls.",
    )
    no_proxy: str | None = Field(
        None,
        validation_alias="NO_PROXY",
        description="Hosts (comma-separated, `.domain` suffixes, `*`) reached without the proxy.",
    )

    maskinporten_token_url: str = Field(
        "https://maskinporten.no/token",
        validation_alias=AliasChoices("ADAPTER_MASKINPORTEN_TOKEN_URL", "MASKINPORTEN_TOKEN_ENDPOINT"),
    )
    maskinporten_issuer: str = Field(
        "https://maskinporten.no/",
        validation_alias=AliasChoices("ADAPTER_MASKINPORTEN_ISSUER", "MASKINPORTEN_ISSUER"),
        description="The grant's audience; https://test.maskinporten.no/ with NAV's test gateways.",
    )
    maskinporten_client_id: str = Field(
        "", validation_alias=AliasChoices("ADAPTER_MASKINPORTEN_CLIENT_ID", "MASKINPORTEN_CLIENT_ID")
    )
    maskinporten_client_jwk: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("ADAPTER_MASKINPORTEN_CLIENT_JWK", "MASKINPORTEN_CLIENT_JWK"),
        description="The private RSA key as a JWK (JSON); its kid is the grant's key id.",
    )
    maskinporten_scopes: str | None = Field(
        None,
        validation_alias=AliasChoices("ADAPTER_MASKINPORTEN_SCOPES", "MASKINPORTEN_SCOPES"),
        description="Scopes the client is granted, space-separated; if set, every scope in use must be one.",
    )
    maskinporten_key_id: str = Field("", description="The grant's kid with a PEM key.")
    maskinporten_private_key: SecretStr | None = None
    maskinporten_private_key_file: Path | None = None

    @model_validator(mode="after")
    def _check(self) -> "NavSettings":
        if self.maskinporten_client_jwk is not None:
            self._jwk()  # a JWK that cannot be used stops the start, not the first lookup
        for name, keys in (
            ("ADAPTER_NAV_BASE_URLS", set(self.nav_base_urls)),
            ("ADAPTER_NAV_SUBSCRIPTION_KEY_APIS", set(self.nav_subscription_key_apis or ())),
        ):
            if unknown := keys - set(APIS_BY_KEY):
                raise ValueError(f"{name} names unknown APIs: {sorted(unknown)}")
        self._check_scopes_accepted()
        return self

    def _check_scopes_accepted(self) -> None:
        for api_key, scope in self.nav_scopes.items():
            ops = [op for op in OPERATIONS if op.api.key == api_key]
            if not ops or any(scope not in op.scopes for op in ops):
                raise ValueError(f"ADAPTER_NAV_SCOPES: NAV does not accept {scope} for {api_key}")

    def scope_for(self, op: Operation) -> str:
        """The scope `op`'s tokens are requested for: the configured one, else the table's."""
        return self.nav_scopes.get(op.api.key, op.scope)

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

    def _jwk(self) -> tuple[str, SecretStr]:
        """The JWK's key id and its key as PEM."""
        assert self.maskinporten_client_jwk is not None
        try:
            jwk = json.loads(self.maskinporten_client_jwk.get_secret_value())
            key = RSAAlgorithm.from_jwk(jwk)
        except (ValueError, TypeError, InvalidKeyError):
            raise ValueError("MASKINPORTEN_CLIENT_JWK is not a private RSA JWK") from None
        if not isinstance(key, RSAPrivateKey) or not isinstance(jwk.get("kid"), str):
            raise ValueError("MASKINPORTEN_CLIENT_JWK is not a private RSA JWK with a kid")
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
        return jwk["kid"], SecretStr(pem)

    def key_id(self) -> str:
        if self.maskinporten_client_jwk is not None and not self.maskinporten_key_id:
            return self._jwk()[0]
        return self.maskinporten_key_id

    def check_scopes(self, needed: Iterable[str]) -> None:
        """Every scope in use must be granted, where the grants are known (`MASKINPORTEN_SCOPES`)."""
        if self.maskinporten_scopes is None:
            return
        if missing := sorted(set(needed) - set(self.maskinporten_scopes.split())):
            raise ValueError(f"MASKINPORTEN_SCOPES lacks {', '.join(missing)}, which callers or feeds use")

    def private_key_pem(self) -> SecretStr:
        if self.maskinporten_client_jwk is not None:
            return self._jwk()[1]
        if self.maskinporten_private_key_file is not None:
            return SecretStr(self.maskinporten_private_key_file.read_text())
        if self.maskinporten_private_key is None:
            raise ValueError(
                "MASKINPORTEN_CLIENT_JWK, ADAPTER_MASKINPORTEN_PRIVATE_KEY or "
                "ADAPTER_MASKINPORTEN_PRIVATE_KEY_FILE is required"
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

    # Health and shutdown.
    drain_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest a stop waits for in-flight work to finish and be committed."
    )
    liveness_timeout_seconds: float = Field(
        30.0, gt=0, description="/isalive fails once the event loop has not run for this long."
    )
    broker_check_seconds: float = Field(
        5.0, gt=0, description="How often the broker is asked for metadata; /isready follows the answer."
    )


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
    reply_topic_template: str = Field(
        "nav.lookup.v1.replies.{caller}",
        description="Each caller's own reply topic, {caller} its name: a reply without reply_to goes there.",
    )
    reply_topic: str | None = Field(
        None,
        description="One reply topic shared by every caller, instead of REPLY_TOPIC_TEMPLATE: each "
        "caller can then read every other caller's replies.",
    )
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
    # What one request may make the adapter handle: past these it is INVALID_REQUEST, NAV not called.
    max_request_bytes: int = Field(1_048_576, ge=1024, description="Largest request value accepted.")
    max_request_headers: int = Field(64, ge=1, description="Most Kafka headers a request may carry.")
    max_list_items: int = Field(100, ge=10, description="Most items of any list in a request.")
    # Where a caller's reply_to may point, and how long a reply Kafka does not take is tried.
    caller_reply_to: dict[str, frozenset[str]] = Field(
        default_factory=dict,
        description="Caller -> topics, or prefixes ending in *, it may name in reply_to besides its own "
        'reply topic, as JSON: {"team-a": ["team-a.replies.*"]}.',
    )
    reply_to_denied: frozenset[str] = Field(
        frozenset({f"{EVENTS_TOPIC_PREFIX}*", "nav.bridge.v1.*"}),
        description="Topics, or prefixes ending in *, no reply_to may name whatever a caller is allowed "
        "(by default the bridge's events, gap, checkpoint and lease topics); the lookups' own topics "
        "and Kafka's (__*) never.",
    )
    publish_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a reply Kafka keeps failing to take (a retriable error) is retried "
        "before the request becomes a dead letter.",
    )

    @model_validator(mode="after")
    def _check(self) -> "LookupSettings":
        unknown_quota = set(self.caller_quotas) - set(self.callers)
        if unknown_quota:
            raise ValueError(f"ADAPTER_CALLER_QUOTAS names unknown callers: {sorted(unknown_quota)}")
        for name in self.callers:
            if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValueError(f"ADAPTER_CALLERS: caller name {name!r} is not a topic suffix")
        self._check_reply_topics()
        return self

    def _check_reply_topics(self) -> None:
        if self.reply_topic is None and self.reply_topic_template.count("{caller}") != 1:
            raise ValueError("ADAPTER_REPLY_TOPIC_TEMPLATE must hold {caller} once")
        if unknown := set(self.caller_reply_to) - set(self.callers):
            raise ValueError(f"ADAPTER_CALLER_REPLY_TO names unknown callers: {sorted(unknown)}")
        for setting, patterns in (
            ("ADAPTER_CALLER_REPLY_TO", {p for allowed in self.caller_reply_to.values() for p in allowed}),
            ("ADAPTER_REPLY_TO_DENIED", set(self.reply_to_denied)),
        ):
            for pattern in patterns:
                if not re.fullmatch(TOPIC_NAME_PATTERN, pattern.removesuffix("*")):
                    raise ValueError(f"{setting}: {pattern!r} is neither a topic name nor a prefix*")
        own = {*self.request_topics(), self.dead_letter_topic, self.audit_topic}
        own.update(topic for topic, _ in self.retry_topics())
        for caller, topic in self.reply_topics().items():
            if not re.fullmatch(TOPIC_NAME_PATTERN, topic) or topic.startswith("__") or topic in own:
                raise ValueError(f"caller {caller!r}'s reply topic {topic!r} cannot be a reply topic")

    def reply_topic_of(self, caller: str) -> str:
        """Where the caller's replies go when its request names no reply_to."""
        if self.reply_topic is not None:
            return self.reply_topic
        return self.reply_topic_template.replace("{caller}", caller)

    def reply_topics(self) -> dict[str, str]:
        """Caller name -> its default reply topic."""
        return {caller: self.reply_topic_of(caller) for caller in self.callers}

    def scopes(self) -> list[str]:
        """Every scope some caller may use: the tokens the lookups need."""
        return sorted({scope for allowed in self.callers.values() for scope in allowed})

    def token_scopes(self, nav: NavSettings) -> list[str]:
        """The scopes the lookups' tokens carry: for every operation some caller may use, the
        one the NAV settings choose among those NAV accepts for it."""
        allowed = set(self.scopes())
        return sorted({nav.scope_for(op) for op in OPERATIONS if allowed & set(op.scopes)})

    def retry_topics(self) -> tuple[tuple[str, float], ...]:
        return tuple(
            (f"{self.retry_topic_prefix}{i}", delay) for i, delay in enumerate(self.retry_delays_seconds, 1)
        )

    def output_topics(self) -> list[str]:
        """Every topic the lookups write to, for deployments that let the adapter create them."""
        return [
            *dict.fromkeys(self.reply_topics().values()),
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
        default_factory=dict,
        description="API key -> NAV requests a minute per endpoint, overriding NAV's limits.",
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
        """NAV requests a minute allowed for each endpoint of the API, shared by all of this
        process's feeds on that endpoint (every tpnr)."""
        return self.requests_per_minute.get(api_key, REQUESTS_PER_MINUTE.get(api_key))

    def lease_topic(self, feed_id: str) -> str:
        return self.lease_topic_prefix + feed_id

    def lease_group(self, feed_id: str) -> str:
        return self.lease_group_prefix + feed_id
