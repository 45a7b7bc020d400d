"""`make bench`: the adapter against a bare aiokafka + aiohttp pipeline, side by side, in one run.

    python -m bench                       throughput, transport comparison and fixed-rate latency
    python -m bench --mode throughput     only the saturated runs (and the transport comparison)
    python -m bench --mode fixed-rate     only the fixed-rate latency run (rate: --rate or measured)
    python -m bench --mode bridge         only the event bridge against a bare feed loop

Every pipeline runs in its own process, so its peak RSS and CPU seconds are its own; the driver
(this process) pre-loads the requests, collects the replies and reads `/proc` for the figures.
Results go to `bench-results/latest.json`; `bench/report.py` prints the table.
"""
