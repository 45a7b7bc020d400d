"""Every command the README, the docs pages and the `nav-adapter dev` banner print, run as printed
against `nav-adapter dev`, each checked for the outcome its comment promises (`# ok`,
`# CONSENT_REQUIRED`, ...)."""

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from devtools.embedded_broker import free_port
from tests.support.processes import wait_for_output

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
NAV_ADAPTER = str(Path(sys.executable).parent / "nav-adapter")
REQUEST = re.compile(r"^\s*(?:\.venv/bin/)?nav-adapter request (?P<args>[^#]+?)\s*#\s*(?P<promise>\S+)")
CURL = re.compile(r"^\s*curl (?P<args>[^#]+?)\s*(?:#.*)?$")


def _printed_lines(text: str) -> list[str]:
    """The lines of the shell blocks of a page, or all lines of the banner."""
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)
    return [line for block in blocks for line in block.splitlines()] if blocks else text.splitlines()


def _doc_lines() -> list[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [line for page in pages for line in _printed_lines(page.read_text())]


def _run_request(args: str, promise: str, kafka_port: int, env: dict[str, str]) -> str | None:
    done = subprocess.run(
        [NAV_ADAPTER, "request", *shlex.split(args), "--kafka-port", str(kafka_port), "--timeout", "60"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    try:
        reply = orjson.loads(done.stdout)
    except orjson.JSONDecodeError:
        return f"`request {args}`: no reply printed: {done.stderr.decode(errors='replace')[-500:]}"
    got = "ok" if reply.get("status") == "ok" else reply.get("error", {}).get("code")
    if got != promise:
        return f"`request {args}` promises {promise}, got {got}: {reply.get('error')}"
    if done.returncode != (0 if promise == "ok" else 1):
        return f"`request {args}` exited with {done.returncode}"
    return None


def _run_curl(args: str, sandbox_port: int) -> str | None:
    words = shlex.split(re.sub(r"localhost:18080|127\.0\.0\.1:\d+", f"127.0.0.1:{sandbox_port}", args))
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    body = words[words.index("-d") + 1] if "-d" in words else None
    url = next(w for w in words if w.startswith("http") or w.startswith("127.0.0.1"))
    url = url if url.startswith("http") else f"http://{url}"
    response = httpx.request(method, url, content=body, timeout=10)
    return None if response.is_success else f"`curl {args}` answered {response.status_code}"


def test_every_printed_command_keeps_its_promise(tmp_path: Path) -> None:
    kafka_port, sandbox_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    out = tmp_path / "dev.out"
    with out.open("wb") as sink:
        dev = subprocess.Popen(
            [NAV_ADAPTER, "dev", "--kafka-port", str(kafka_port), "--sandbox-port", str(sandbox_port)],
            env=env,
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        banner = wait_for_output(out, "Try next", dev, timeout=120)
        time.sleep(1)  # the rest of the banner
        banner = out.read_text(errors="replace").split("Try next", 1)[1]
        lines = [*_printed_lines(banner), *_doc_lines()]
        requests = [m for line in lines if (m := REQUEST.match(line))]
        curls = [m for line in lines if (m := CURL.match(line))]
        promises = {m["promise"] for m in requests}
        assert {"ok", "CONSENT_REQUIRED", "NOT_FOUND"} <= promises, promises
        assert any(m.string in banner for m in requests), "the banner's commands were not read"
        failures = [
            failure
            for m in dict.fromkeys(requests, None)
            if (failure := _run_request(m["args"], m["promise"], kafka_port, env))
        ]
        # The fault switches last: they change what the sandbox answers.
        failures += [failure for m in curls if (failure := _run_curl(m["args"], sandbox_port))]
        assert not failures, "\n".join(failures)
    finally:
        dev.terminate()
        try:
            dev.wait(timeout=60)
        except subprocess.TimeoutExpired:
            dev.kill()
            dev.wait()
