"""`python -m bench` itself, tiny: the slow-NAV mode on the embedded broker, its JSON and its table."""

import os
import subprocess
import sys
from pathlib import Path

import orjson

from tests.support.processes import without_own_variables

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_slow_nav_run_names_its_broker_and_the_bound_it_hit(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    args = ["--brokers", "tansu", "--mode", "slow-nav", "--transport-requests", "40", "--slow-nav-ms", "50"]
    args += ["--profile", "never", "--output", str(output)]
    env = without_own_variables(dict(os.environ))  # the bench starts its own broker
    done = subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = orjson.loads(output.read_bytes())
    (broker,) = results["brokers"].values()
    assert broker["broker"] == "tansu"
    slow = broker["slow_nav"]
    assert (slow["nav_latency_ms"], slow["replies"], slow["failed_replies"]) == (50, 40, 0)
    assert "in-flight limit" in broker["targets"]["slow_nav"]["detail"]  # no saturated run to bound it
    assert broker["targets"]["token_fetches"]["met"]
    assert "tansu   adapter, NAV 50 ms late, 40 pre-loaded" in done.stdout
    assert (slow["baseline"]["replies"], slow["baseline"]["failed_replies"]) == (40, 0)
    assert "tansu   baseline, NAV 50 ms late, 40 pre-loaded" in done.stdout
