"""A bench child process: `python -m bench.child ROLE CONFIG_JSON` (the sandbox: `sandbox PORT JWKS`).

Roles: `baseline` and `bare-feed` (`bench.baselines`), `adapter` (`run_lookups`) and `bridge`
(`run_bridge`), with the settings of `bench.config`, logging as `nav-adapter` does, until SIGTERM.
It prints `ready` first. With `profile_path` set it runs under pyinstrument.
"""

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from adapter.cli import stop_on_signals
from adapter.lookup.app import run_lookups
from bench.config import BridgeConfig, LookupsConfig


async def _work(role: str, config: Any) -> None:
    """The role's pipeline until SIGTERM. Each imports only its own: its RSS is measured."""
    stop = stop_on_signals()
    if role == "baseline":
        from bench.baselines import bare_pipeline

        await bare_pipeline(config, stop)
    elif role == "bare-feed":
        from bench.baselines import bare_feed_loop

        await bare_feed_loop(config, stop)
    elif role == "adapter":  # `bench.config` has imported it already, through `devtools.dev`
        dev = config.settings()
        await run_lookups(dev.kafka, dev.nav, dev.lookups, stop)
    else:
        from adapter.bridge import app as bridge_app

        dev = config.dev()
        await bridge_app.run_bridge(dev.kafka, dev.nav, config.bridge(), stop)


async def _sandbox(port: int, jwks: Path) -> None:
    from devtools.dev import DEV_CLIENT_ID, DEV_SUBSCRIPTION_KEY, serve_sandbox
    from nav_sandbox import SandboxConfig

    issuer = f"http://127.0.0.1:{port}/"
    config = SandboxConfig(
        client_id=DEV_CLIENT_ID, jwks_path=jwks, issuer=issuer, subscription_key=DEV_SUBSCRIPTION_KEY
    )
    async with serve_sandbox(config, "127.0.0.1", port) as url:  # no faults; uvicorn ends on SIGTERM
        _ready(f"ready {url}")
        await asyncio.Event().wait()


def _ready(line: str) -> None:
    """Tell the driver, then send stdout (the JSON logs) to stderr's log file: the driver reads
    its pipe only for this line, and a full pipe would stall the child at its next log line."""
    print(line, flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


def main(argv: list[str]) -> int:
    role = argv[0]
    if role == "sandbox":
        asyncio.run(_sandbox(int(argv[1]), Path(argv[2])))
        return 0
    config = (LookupsConfig if role in ("baseline", "adapter") else BridgeConfig).from_json(argv[1])
    if role in ("adapter", "bridge"):
        from adapter.observability.logs import configure_logging

        configure_logging(config.log_level, json_lines=True)
    _ready("ready")
    if not config.profile_path:
        asyncio.run(_work(role, config))
        return 0
    from pyinstrument import Profiler

    path, profiler = Path(config.profile_path), Profiler(interval=0.001)
    with profiler:
        asyncio.run(_work(role, config))
    tree, flat = profiler.output_text(unicode=True), profiler.output_text(unicode=True, flat=True)
    path.write_text(f"{tree}\n== where the time is spent (self time, flat) ==\n{flat}")
    path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
