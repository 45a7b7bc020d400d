"""NAV's event feeds, one route per row of `nav_lookup_contracts.feeds.FEEDS`, over growing synthetic logs.

Each feed has an event log (samordning: one per tpnr, made when first asked for) that starts
with `SandboxConfig.feed_events` events and grows as the control plane says:

POST /_sandbox/feeds/{feed}/events  {"count": N, "tpnr": "3010"}       append N events now
POST /_sandbox/feeds/{feed}/rate    {"per_second": R, "limit": N}      keep appending (0 stops)
POST /_sandbox/feeds/{feed}/gap     {"skip": K}                        the next K numbers never come
POST /_sandbox/feeds/{feed}/renumber {"at": P, "delete": K, "insert": J}  NAV renumbers a feed
                                    numbered by position: K rows from position P deleted, J
                                    rows hidden until now appear there (samordning.vedtak)
GET  /_sandbox/feeds/{feed}?tpnr=   the log: every event's number and raw item
GET  /_sandbox/feeds                every log's size and highest number
POST /_sandbox/feeds/reset          forget every log

Failures use the faults plane: `POST /_sandbox/faults {"api": "<feed name or API key>", ...}`.
Events made at a rate are made when next looked at (any request touching the log), as many as
the time since the rate was set calls for: no background task, and the same result.

Paging follows NAV: items from the asked number on (for samordning, `side` pages of `antall`
further), and samordning's page fields with NAV's traps (`sisteLesteSekvensnummer` is 1 on an
empty page). Samordning's ytelser, personer and manglendeRefusjonskrav answer, as NAV's
`SekvensnummerBetween(start, start + antall)` does, every number from `start` to `start + antall`
inclusive (up to `antall + 1` items) in no order (`SandboxConfig.samordning_between_pages`).
The sandbox finds "from number N" by number, which is NAV's offset paging for as long as no gap
was injected.
"""

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nav_lookup_contracts.feeds import FEED_APIS, FEEDS, FEEDS_BY_NAME, Feed, Sequencing
from nav_lookup_contracts.nav.hendelser import HJEMMELGRUPPER
from nav_lookup_contracts.validation import problems
from nav_sandbox.api import deny
from nav_sandbox.faults import Faults, error_response
from nav_sandbox.feed_logs import EventLog
from nav_sandbox.gateway_limit import GatewayLimit
from nav_sandbox.maskinporten import TokenStore
from nav_sandbox.recorder import Recorder
from nav_sandbox.settings import SandboxConfig

FAULT_TARGETS: tuple[str, ...] = (*(api.key for api in FEED_APIS), *(feed.name for feed in FEEDS))
"""What a fault's `api` may name to hit the feeds."""

CONTROL = "/_sandbox/feeds"


class FeedCommand(BaseModel):
    """The body of the feed control endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tpnr: str | None = Field(None, pattern=r"^\d{1,4}$")
    count: int = Field(1, ge=0, le=1_000_000)
    skip: int = Field(1, ge=1, le=1_000_000)
    per_second: float = Field(0.0, ge=0, le=100_000)
    limit: int | None = Field(None, ge=0, description="Stop after this many events made at the rate.")
    at: int = Field(1, ge=1, description="renumber: the first position that changes.")
    delete: int = Field(0, ge=0, le=1_000_000, description="renumber: rows deleted from `at` on.")
    insert: int = Field(0, ge=0, le=1_000_000, description="renumber: rows appearing at `at`.")


class _BadRequest(ValueError):
    pass


def _number(request: Request, name: str | None, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name) if name else None
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _BadRequest(f"{name}: must be a whole number") from None
    if not low <= value <= high:
        raise _BadRequest(f"{name}: must be in {low}..{high}")
    return value


class SandboxFeeds:
    def __init__(
        self,
        config: SandboxConfig,
        tokens: TokenStore,
        faults: Faults,
        recorder: Recorder,
        *,
        clock: Callable[[], float] = time.monotonic,
        limit: GatewayLimit | None = None,
    ) -> None:
        self._config = config
        self._limit = limit
        self._tokens = tokens
        self._faults = faults
        self._recorder = recorder
        self._clock = clock
        self._logs: dict[tuple[str, str | None], EventLog] = {}
        self._shuffle = random.Random(config.fault_seed)

    def log(self, feed: Feed, tpnr: str | None) -> EventLog:
        key = (feed.name, tpnr)
        if (log := self._logs.get(key)) is None:
            log = self._logs[key] = EventLog(feed, tpnr)
            log.append(self._config.feed_events)
        log.catch_up(self._clock())
        return log

    def routes(self) -> list[Route]:
        nav = [
            Route(
                self._config.mount_prefix(feed.api.key) + feed.path,
                self._endpoint(feed),
                methods=["GET"],
                name=feed.name,
            )
            for feed in FEEDS
        ]
        return [
            *nav,
            Route(CONTROL, self.summaries, methods=["GET"]),
            Route(f"{CONTROL}/reset", self.reset, methods=["POST"]),
            Route(CONTROL + "/{feed}", self.events, methods=["GET"]),
            Route(CONTROL + "/{feed}/events", self.append, methods=["POST"]),
            Route(CONTROL + "/{feed}/rate", self.rate, methods=["POST"]),
            Route(CONTROL + "/{feed}/gap", self.gap, methods=["POST"]),
            Route(CONTROL + "/{feed}/renumber", self.renumber, methods=["POST"]),
        ]

    # --- NAV's side ---

    def _endpoint(self, feed: Feed) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            response = await self._answer(feed, request)
            self._recorder.record(feed.name, response.status_code, request)
            return response

        return endpoint

    async def _answer(self, feed: Feed, request: Request) -> Response:
        if (fault := await self._faults.apply((feed.api.key, feed.name), request)) is not None:
            return fault
        if self._limit is not None and (busy := self._limit.over(feed.api.key, feed.path)) is not None:
            return busy
        if (
            denied := deny(self._config, self._tokens, request, api_key=feed.api.key, scopes=(feed.scope,))
        ) is not None:
            return denied
        try:
            body = self._page(feed, request)
        except _BadRequest as exc:
            return error_response(400, str(exc))
        return Response(orjson.dumps(body), media_type="application/json")

    def _page(self, feed: Feed, request: Request) -> dict[str, Any]:
        params = feed.params
        tpnr = None
        if feed.per_tpnr:
            tpnr = request.query_params.get(params.tpnr or "")
            if not tpnr or not tpnr.isdigit() or len(tpnr) > 4:
                raise _BadRequest(f"{params.tpnr}: required, up to 4 digits")
        samordning = feed.per_tpnr
        start = _number(request, params.start, 1 if samordning else None, 1, 2**63 - 1)
        if start is None:
            raise _BadRequest(f"{params.start}: required")
        size = _number(request, params.page_size, feed.max_page_size, 0, feed.max_page_size)
        side = _number(request, params.page, 0, 0, 2**31 - 1) or 0
        assert size is not None
        wanted = request.query_params.get(params.filter) if params.filter else None
        if wanted is not None and wanted not in (*HJEMMELGRUPPER, feed.filter_all):
            raise _BadRequest(f"{params.filter}: must be one of {', '.join((*HJEMMELGRUPPER, 'ALLE'))}")
        log = self.log(feed, tpnr)
        events = log.events[log.from_number(start) :]
        if wanted not in (None, feed.filter_all):
            events = [(s, item) for s, item in events if item["metadata"]["hjemmelgruppe"] == wanted]
        if (
            samordning
            and feed.sequencing is not Sequencing.POSITION
            and self._config.samordning_between_pages
        ):
            return self._between_page(request, log, start + side * size, size, side)
        page = events[side * size : side * size + size]
        items = [item for _, item in page]
        if not samordning:
            return {
                "antallHendelser": len(items),
                "totaltAntallHendelser": len(log.events),
                "hendelser": items,
            }
        more = len(events) > side * size + size
        return self._samordning_side(request, log, items, page[-1][0] if page else None, more, side)

    def _between_page(
        self, request: Request, log: EventLog, low: int, size: int, side: int
    ) -> dict[str, Any]:
        # NAV: findBy…SekvensnummerBetween(low, low + antall), both ends inclusive, no ORDER BY.
        events = log.events[log.from_number(low) : log.from_number(low + size + 1)]
        self._shuffle.shuffle(events)
        last = max((s for s, _ in events), default=None)
        more = log.highest > low + size
        return self._samordning_side(request, log, [item for _, item in events], last, more, side)

    @staticmethod
    def _samordning_side(
        request: Request,
        log: EventLog,
        items: list[dict[str, Any]],
        last: int | None,
        more: bool,
        side: int,
    ) -> dict[str, Any]:
        query = {**request.query_params, "side": str(side + 1)}  # samordning's page parameter
        return {
            "hendelser": items,
            "sisteSekvensnummer": log.highest,
            # NAV's `maxOfOrNull { … } ?: 1` and `keys.lastOrNull() ?: 1`: 1 on an empty page.
            "sisteLesteSekvensnummer": last if last is not None else 1,
            "nextUrl": str(request.url.replace_query_params(**query)) if more else None,
        }

    # --- the control plane ---

    async def _command(self, request: Request) -> tuple[EventLog, FeedCommand]:
        feed = FEEDS_BY_NAME.get(request.path_params["feed"])
        if feed is None:
            raise _BadRequest(f"unknown feed; known: {', '.join(FEEDS_BY_NAME)}")
        try:
            command = FeedCommand.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            raise _BadRequest("; ".join(problems(exc))) from None
        if feed.per_tpnr != (command.tpnr is not None):
            raise _BadRequest(f"tpnr is {'required' if feed.per_tpnr else 'not taken'} for {feed.name}")
        return self.log(feed, command.tpnr), command

    async def _control(self, request: Request, act: Callable[[EventLog, FeedCommand], None]) -> Response:
        try:
            log, command = await self._command(request)
        except _BadRequest as exc:
            return error_response(400, str(exc))
        act(log, command)
        return JSONResponse(log.summary())

    async def append(self, request: Request) -> Response:
        return await self._control(request, lambda log, c: log.append(c.count))

    async def gap(self, request: Request) -> Response:
        def skip(log: EventLog, command: FeedCommand) -> None:
            log.next_sequence += command.skip

        return await self._control(request, skip)

    async def renumber(self, request: Request) -> Response:
        feed = FEEDS_BY_NAME.get(request.path_params["feed"])
        if feed is not None and feed.sequencing is not Sequencing.POSITION:
            return error_response(400, f"{feed.name} numbers its items itself: nothing to renumber")
        return await self._control(request, lambda log, c: log.renumber(c.at, c.delete, c.insert))

    async def rate(self, request: Request) -> Response:
        def set_rate(log: EventLog, command: FeedCommand) -> None:
            log.per_second, log.rate_limit = command.per_second, command.limit
            log.rate_since, log.rate_made = self._clock(), 0

        return await self._control(request, set_rate)

    async def events(self, request: Request) -> Response:
        feed = FEEDS_BY_NAME.get(request.path_params["feed"])
        if feed is None:
            return error_response(404, "unknown feed")
        tpnr = request.query_params.get("tpnr")
        if feed.per_tpnr != (tpnr is not None):
            return error_response(
                400, f"tpnr is {'required' if feed.per_tpnr else 'not taken'} for {feed.name}"
            )
        log = self.log(feed, tpnr)
        body = {**log.summary(), "events": [{"sequence": s, "item": item} for s, item in log.events]}
        return Response(orjson.dumps(body), media_type="application/json")

    async def summaries(self, request: Request) -> Response:
        for log in self._logs.values():
            log.catch_up(self._clock())
        return JSONResponse({"feeds": [log.summary() for log in self._logs.values()]})

    async def reset(self, request: Request) -> Response:
        self._logs.clear()
        return Response(status_code=204)
