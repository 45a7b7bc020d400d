"""The bound on a whole stop: a process whose stop hangs (here its event loop blocks after the
signal) still exits, with the overrun said and its own exit code, soon after the bound."""

import signal
import subprocess
import sys
import textwrap
import time

from adapter.shutdown import OVERRUN_EXIT_CODE

HANGING_STOP = textwrap.dedent(
    """
    import asyncio, logging, sys, time
    from adapter.cli import stop_on_signals

    async def main() -> None:
        stop = stop_on_signals(exit_after=1.0)
        print("ready", flush=True)
        await stop.wait()
        time.sleep(60)  # a stop that never ends, with the event loop blocked

    logging.basicConfig(stream=sys.stdout)
    asyncio.run(main())
    """
)


def test_a_stop_that_hangs_exits_after_the_bound() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HANGING_STOP], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        took = time.monotonic() - started
        output = process.stdout.read()
    finally:
        process.kill()
    assert code == OVERRUN_EXIT_CODE
    assert took >= 1.0
    assert "the stop took longer than 1 s" in output


def test_a_stop_that_ends_in_time_is_not_held_by_the_bound() -> None:
    ends = HANGING_STOP.replace("time.sleep(60)", "time.sleep(0.1)")
    ends = ends.replace("exit_after=1.0", "exit_after=30.0")
    process = subprocess.Popen([sys.executable, "-c", ends], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert time.monotonic() - started < 25  # the waiting timer does not keep the process alive
        assert "took longer" not in process.stdout.read()
    finally:
        process.kill()
