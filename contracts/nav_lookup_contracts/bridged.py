"""What the event bridge writes: records on `nav.events.v1.<feed>` and its checkpoints.

Each record on an events topic is a `BridgedEvent` (NAV's item as NAV served it, wrapped with
the feed id and sequence number) or, when NAV's numbers jump and the continuity policy is
`gap-record`, a `GapRecord` for the numbers that never came, or a `RenumberedRecord` where NAV
renumbered a feed numbered by position. Both carry the headers `nav-feed`,
`nav-sequence` and `nav-record` (`event` or `gap`). Values hold no timestamp, so a record written
again after a crash is byte for byte the same.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from nav_lookup_contracts._wire import WireModel


class BridgedEvent(WireModel):
    kind: Literal["event"] = "event"
    feed: str = Field(description="The feed id, e.g. trygdehendelser or samordning.vedtak.3010.")
    sequence: int = Field(description="NAV's sequence number (for samordning.vedtak: its position).")
    tpnr: str | None = Field(None, description="The tjenestepensjonsordning, for samordning feeds.")
    event: dict[str, Any] = Field(description="NAV's item as NAV served it, with NAV's field names.")


class GapRecord(WireModel):
    kind: Literal["gap"] = "gap"
    feed: str
    sequence: int = Field(description="The last missing number, so the feed's numbers stay in order.")
    first_missing: int
    last_missing: int
    tpnr: str | None = None


class RenumberedRecord(WireModel):
    """NAV renumbered a feed numbered by position (samordning.vedtak) after `sequence`, and the
    policy is `gap-record`: records after this one follow NAV's new numbering, so some events
    may be missing or repeated across it; reconcile from NAV (e.g. by `vedtakId`)."""

    kind: Literal["renumbered"] = "renumbered"
    feed: str
    sequence: int = Field(description="The last position published under NAV's old numbering.")
    nav_highest_before: int | None = None
    nav_highest_now: int | None = None
    tpnr: str | None = None


BridgedRecord = Annotated[BridgedEvent | GapRecord | RenumberedRecord, Field(discriminator="kind")]
BRIDGED_RECORD: TypeAdapter[BridgedEvent | GapRecord | RenumberedRecord] = TypeAdapter(BridgedRecord)


class Checkpoint(WireModel):
    """The value on the compacted checkpoint topic, keyed by feed id."""

    feed: str
    sequence: int = Field(
        ge=0, description="Every number up to this one is acknowledged on the feed's topic."
    )
    anchor: str | None = Field(
        None,
        description="For a feed numbered by position: the identity (a digest) of the item at "
        "`sequence`, so that the next page can tell whether NAV renumbered the feed.",
    )
    nav_highest: int | None = Field(None, description="NAV's highest number when `sequence` was published.")
    reset: bool = Field(
        False,
        description="Written by `nav-adapter reset-checkpoint`: resume right after `sequence`, "
        "without looking at what the topic already holds.",
    )
