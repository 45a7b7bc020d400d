"""The NAV sandbox in a process of its own, no faults: `python -m bench.sandbox_proc PORT JWKS`.

Uses `devtools.dev.serve_sandbox` (uvicorn; httptools when installed). Prints `ready URL`.
"""

import asyncio
import sys
from pathlib import Path

from devtools.dev import DEV_CLIENT_ID, DEV_SUBSCRIPTION_KEY, serve_sandbox
from nav_sandbox import SandboxConfig


async def _serve(port: int, jwks: Path) -> None:
    config = SandboxConfig(
        client_id=DEV_CLIENT_ID,
        jwks_path=jwks,
        issuer=f"http://127.0.0.1:{port}/",
        subscription_key=DEV_SUBSCRIPTION_KEY,
    )
    async with serve_sandbox(config, "127.0.0.1", port) as url:
        print(f"ready {url}", flush=True)
        await asyncio.Event().wait()  # uvicorn ends the process on SIGTERM


def main(argv: list[str]) -> int:
    asyncio.run(_serve(int(argv[0]), Path(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
