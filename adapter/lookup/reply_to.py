"""Where a caller's reply goes: its own reply topic, or a `reply_to` its allow-list names.

A `reply_to` is a topic the adapter writes with its own rights, so it is checked as an address the
caller chose: a name Kafka takes, not one of the adapter's own or Kafka's internal topics, not
another caller's reply topic, and on this caller's list (its own reply topic by default).
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nav_lookup_contracts.lookups import TOPIC_NAME_PATTERN

_TOPIC_NAME = re.compile(TOPIC_NAME_PATTERN)


@dataclass(frozen=True)
class TopicPatterns:
    """Topic names, and prefixes written with a trailing `*`."""

    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, patterns: Iterable[str]) -> "TopicPatterns":
        patterns = list(patterns)
        return cls(
            frozenset(p for p in patterns if not p.endswith("*")),
            tuple(sorted(p.removesuffix("*") for p in patterns if p.endswith("*"))),
        )

    def match(self, topic: str) -> bool:
        return topic in self.names or topic.startswith(self.prefixes)


def kafka_takes(topic: str) -> bool:
    """A name Kafka accepts for a topic a client may write: never `.`, `..` or an internal `__` one."""
    return bool(_TOPIC_NAME.fullmatch(topic)) and topic not in (".", "..") and not topic.startswith("__")


@dataclass(frozen=True)
class ReplyRoutes:
    default_by_request_topic: Mapping[str, str]
    """A caller's request topic -> its own reply topic."""
    allowed_by_request_topic: Mapping[str, TopicPatterns] = field(default_factory=dict)
    """What a caller may name in reply_to besides its own reply topic."""
    denied: TopicPatterns = TopicPatterns()
    """The adapter's own topics (requests, retries, audit, dead letters, the bridge's), whatever a
    caller's list says."""

    @classmethod
    def build(
        cls,
        default_by_request_topic: Mapping[str, str],
        allowed_by_request_topic: Mapping[str, Iterable[str]],
        own_topics: Iterable[str],
        denied: Iterable[str],
    ) -> "ReplyRoutes":
        named = TopicPatterns.of(denied)
        return cls(
            default_by_request_topic,
            {t: TopicPatterns.of(allowed) for t, allowed in allowed_by_request_topic.items()},
            TopicPatterns(named.names | set(own_topics), named.prefixes),
        )

    def default_for(self, request_topic: str) -> str:
        return self.default_by_request_topic[request_topic]

    def allows(self, request_topic: str, topic: str) -> bool:
        """Whether the caller of `request_topic` may have its reply written to `topic`."""
        if not kafka_takes(topic):
            return False
        own = self.default_by_request_topic.get(request_topic)
        if topic == own:
            return True
        if self.denied.match(topic):
            return False
        allowed = self.allowed_by_request_topic.get(request_topic, TopicPatterns())
        if topic in self.default_by_request_topic.values():
            # Another caller's reply topic only where named in full, never through a prefix.
            return topic in allowed.names
        return allowed.match(topic)
