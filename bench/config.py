"""What the driver and its child processes agree on: the request mix, and each child's
configuration, passed as one JSON argument so every pipeline runs in a process of its own."""

import dataclasses
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

from adapter.settings import BridgeSettings, KafkaSettings
from devtools.dev import DEV_CALLER, DevSettings, dev_settings
from nav_lookup_contracts.feeds import FEEDS_BY_NAME, Feed
from nav_lookup_contracts.operations import OPERATIONS_BY_NAME
from nav_sandbox import PEOPLE

Transport = Literal["aiohttp", "httpx"]
MIX = ("medlemskapsunntak.search", "frikort.brev", "medlemskapsunntak.get", "aap.vedtak")
SCOPES = sorted({OPERATIONS_BY_NAME[name].scope for name in MIX})
CONSENT_TOKEN = "c2FtdHlra2U="
"""An Altinn 2 consent token (the sandbox takes any): the bare baseline sends it as a header as the
table places it, which it could not do for an Altinn 3 consent (a grant of its own per person)."""
BRIDGE_FEED = "trygdehendelser"
"""A feed with no rate limit of NAV's, pages of 100 and numbered items: the bridge's busiest kind."""


def make_request(i: int) -> dict[str, Any]:
    """Request number `i` of the mix: operations in turn, people in turn; all answerable."""
    op, person = OPERATIONS_BY_NAME[MIX[i % len(MIX)]], PEOPLE[(i // len(MIX)) % len(PEOPLE)]
    fields: dict[str, Any] = {"ident": person.ident}
    if op.name == "medlemskapsunntak.get":
        fields = {"unntak_id": person.medlemskapsunntak[0].unntakId}
    elif op.name == "aap.vedtak":
        fields["consent_token"] = CONSENT_TOKEN
    return {"request_id": str(uuid.uuid4()), "operation": op.name, "scope": op.scope, **fields}


@dataclass(frozen=True, kw_only=True)
class ProcConfig:
    """What every child is told: the stack it runs against, and how to run."""

    bootstrap: str
    sandbox_url: str
    key_id: str
    key_file: str
    log_level: str = "INFO"
    profile_path: str = ""
    """If set, the child runs under pyinstrument and writes its profile here (text, .html, session)."""

    def dev(self) -> DevSettings:
        """Kafka, NAV (lookup and feed APIs on the sandbox) and lookups as `nav-adapter dev` has them."""
        kafka = KafkaSettings(bootstrap_servers=self.bootstrap)
        return dev_settings(kafka, self.sandbox_url, self.key_id, Path(self.key_file))

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Self:
        return cls(**json.loads(text))


@dataclass(frozen=True, kw_only=True)
class LookupsConfig(ProcConfig):
    request_topic_prefix: str
    """The request topic is this plus the `dev` caller's name (the adapter's naming)."""
    reply_topic_template: str
    """Each caller's reply topic, {caller} its name (the adapter's naming); `dev` is the one used."""
    group: str
    max_in_flight: int
    transport: Transport = "aiohttp"
    fetch_max_wait_ms: int = 0
    """If above 0, the pipeline's consumers wait at most this long on an empty fetch."""

    @property
    def request_topic(self) -> str:
        return self.request_topic_prefix + DEV_CALLER

    @property
    def reply_topic(self) -> str:
        return self.reply_topic_template.replace("{caller}", DEV_CALLER)

    def settings(self) -> DevSettings:
        """`dev_settings` (every scope for `dev`) with the bench's topics, group and transport."""
        dev, reply = self.dev(), self.reply_topic
        update = {
            "http_port": 0,
            "request_topic_prefix": self.request_topic_prefix,
            "reply_topic_template": self.reply_topic_template,
            "retry_topic_prefix": reply + ".retry.",
            "audit_topic": reply + ".audit",
            "dead_letter_topic": reply + ".dlq",
            "consumer_group": self.group,
            "max_in_flight": self.max_in_flight,
        }
        if self.fetch_max_wait_ms > 0:
            update["kafka_fetch_max_wait_ms"] = self.fetch_max_wait_ms
        nav = dev.nav.model_copy(update={"http_transport": self.transport})
        return dataclasses.replace(dev, nav=nav, lookups=dev.lookups.model_copy(update=update))


@dataclass(frozen=True, kw_only=True)
class BridgeConfig(ProcConfig):
    topic: str
    """Where the events go; the bridge's checkpoint and lease topics are named after it."""
    events: int
    """How many events the feed holds: the bare loop stops after them, the driver waits for them."""
    feed: str = BRIDGE_FEED
    page_size: int = 100
    partitions: int = 4

    @property
    def table(self) -> Feed:
        return FEEDS_BY_NAME[self.feed]

    def bridge(self) -> BridgeSettings:
        """Production defaults but for the names, and a short idle wait once the backlog is done
        (after a full page the bridge asks again at once anyway); NAV's connection is `dev().nav`."""
        return BridgeSettings.model_validate(
            {
                "feeds": [{"feed": self.feed, "topic": self.topic, "page_size": self.page_size}],
                "checkpoint_topic": f"{self.topic}.checkpoints",
                "lease_topic_prefix": f"{self.topic}.lease.",
                "lease_group_prefix": f"{self.topic}.lease.",
                "topic_partitions": self.partitions,
                "idle_seconds": 0.05,
                "max_idle_seconds": 0.2,
                "http_host": "127.0.0.1",
                "http_port": 0,
            }
        )
