"""A uvicorn server that runs inside a process which handles SIGINT and SIGTERM itself.

uvicorn's `Server.serve` takes both signals over while it runs and stops itself first, so a
health server (or the dev stack's sandbox) would go down before the role had drained, and the
role would hear of the signal only once uvicorn handed it back. Here the process's own handler
decides the order: the role drains, then the servers stop.
"""

import contextlib
from collections.abc import Generator

import uvicorn


class EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
