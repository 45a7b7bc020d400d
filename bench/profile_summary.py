"""Where the adapter's busy time goes, by component, from a pyinstrument session.

Each sample is charged to the innermost frame that is not generic plumbing (asyncio, the stdlib):
time in aiohttp called from httpx is aiohttp's, httpx's own bookkeeping is httpx's, and so on.
`python -m bench.profile_summary bench-results/adapter-profile.pyisession` prints it (the bridge's
categories for a file whose name says `bridge`).
"""

import sys
from pathlib import Path

from pyinstrument.session import Session

IDLE = "idle (waiting in epoll)"
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("/httpx_aiohttp/", "httpx API and its aiohttp transport shim"),
    ("/httpx/", "httpx API and its aiohttp transport shim"),
    ("/aiohttp/", "aiohttp (the HTTP to NAV itself)"),
    ("/yarl/", "aiohttp (the HTTP to NAV itself)"),
    ("/multidict/", "aiohttp (the HTTP to NAV itself)"),
    ("/aiokafka/producer/", "aiokafka producer (replies, audit)"),
    ("/aiokafka/record/", "aiokafka producer (replies, audit)"),
    ("/aiokafka/", "aiokafka fetcher, protocol, connections"),
    ("/faststream/", "FastStream per-message pipeline"),
    ("/fast_depends/", "FastStream per-message pipeline"),
    ("/anyio/", "FastStream per-message pipeline"),
    ("/pythonjsonlogger/", "logging (JSON lines)"),
    ("/logging/", "logging (JSON lines)"),
    ("adapter/logs.py", "logging (JSON lines)"),
    ("/opentelemetry/", "OpenTelemetry"),
    ("/prometheus_client/", "Prometheus metrics"),
    ("/pydantic", "pydantic validation and serialisation"),
    ("contracts/", "pydantic validation and serialisation"),
    ("/jwt/", "Maskinporten grants (RSA)"),
    ("/cryptography/", "Maskinporten grants (RSA)"),
    ("/uvicorn/", "health server"),
    ("/starlette/", "health server"),
    ("adapter/", "the adapter's own code (with the C calls it makes)"),
)
BRIDGE_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("/httpx_aiohttp/", "httpx API and its aiohttp transport shim"),
    ("/httpx/", "httpx API and its aiohttp transport shim"),
    ("/aiohttp/", "aiohttp (the HTTP to the feed itself)"),
    ("/yarl/", "aiohttp (the HTTP to the feed itself)"),
    ("/multidict/", "aiohttp (the HTTP to the feed itself)"),
    ("/aiokafka/producer/", "aiokafka producer (events, checkpoints)"),
    ("/aiokafka/record/", "aiokafka producer (events, checkpoints)"),
    ("/aiokafka/", "aiokafka protocol, connections (sends; checkpoint, lease fetches)"),
    ("/pythonjsonlogger/", "logging"),
    ("/logging/", "logging"),
    ("adapter/logs.py", "logging"),
    ("/prometheus_client/", "Prometheus metrics"),
    ("/pydantic", "pydantic: validating the page, serialising each record"),
    ("contracts/", "pydantic: validating the page, serialising each record"),
    ("/jwt/", "Maskinporten grants (RSA)"),
    ("/cryptography/", "Maskinporten grants (RSA)"),
    ("adapter/bridge/", "the bridge's own code (with the C calls it makes)"),
    ("adapter/", "the adapter's shared code (tokens, NAV client)"),
)
"""The same for the event bridge (`bench/bridge_run.py`)."""
OTHER = "asyncio and the standard library"


def category(stack: list[str], categories: tuple[tuple[str, str], ...] = CATEGORIES) -> str:
    if stack and stack[-1].startswith("epoll.poll"):
        return IDLE
    for frame in reversed(stack):
        path = frame.split("\x00")[1] if "\x00" in frame else ""
        for marker, name in categories:
            if marker in path:
                return name
    return OTHER


def breakdown(
    session: Session, categories: tuple[tuple[str, str], ...] = CATEGORIES
) -> list[tuple[str, float, float]]:
    """(component, seconds, share of the busy time), largest first; idle last, share of the total."""
    seconds: dict[str, float] = {}
    for stack, time in session.frame_records:
        name = category(stack, categories)
        seconds[name] = seconds.get(name, 0.0) + time
    idle = seconds.pop(IDLE, 0.0)
    busy = sum(seconds.values()) or 1.0
    rows = [(name, s, s / busy) for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])]
    rows.append((IDLE, idle, idle / (busy + idle)))
    return rows


def render(rows: list[tuple[str, float, float]]) -> str:
    lines = [f"{'component':<52} {'seconds':>8} {'share':>6}"]
    lines += [f"{name:<52} {s:8.2f} {share:6.0%}" for name, s, share in rows]
    return "\n".join(lines) + "\n(share: of the busy time; for idle: of the whole run)\n"


def main(argv: list[str]) -> int:
    bridge = "bridge" in Path(argv[0]).name
    print(render(breakdown(Session.load(argv[0]), BRIDGE_CATEGORIES if bridge else CATEGORIES)), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
