"""Running a bench process's main coroutine under pyinstrument, and writing what it found."""

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any


def run_profiled(main: Coroutine[Any, Any, None], path: Path) -> None:
    """`asyncio.run(main)` under pyinstrument: tree and flat text at `path`, .html, .pyisession."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    with profiler:
        asyncio.run(main)
    tree = profiler.output_text(unicode=True, show_all=False)
    flat = profiler.output_text(unicode=True, flat=True)
    path.write_text(f"{tree}\n== where the time is spent (self time, flat) ==\n{flat}")
    path.with_suffix(".html").write_text(profiler.output_html())
    if profiler.last_session is not None:
        profiler.last_session.save(str(path.with_suffix(".pyisession")))
