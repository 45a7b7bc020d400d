"""`make bench`: the adapter against a bare aiokafka + aiohttp pipeline, side by side, in one run.

    python -m bench                       throughput, transport comparison, fixed-rate latency, bridge
    python -m bench --mode throughput     only the saturated runs (and the transport comparison)
    python -m bench --mode fixed-rate     only the fixed-rate latency run (rate: --rate or measured)
    python -m bench --mode bridge         only the event bridge against a bare feed loop

`harness` is the stack and the one measure loop; `lookups` and `bridge` the phases; `baselines`
the bare pipeline and the bare feed loop; `child` what runs in each child process (and the
experiments); `config` what a child is told; `report` the figures, targets and tables. Results go
to `bench-results/latest.json`; `python -m bench.report` prints the table.
"""
