"""`make bench`: the adapter and the bridge against bare aiokafka + aiohttp pipelines, side by side.

README.md's "Benchmark" says how to run it and what each figure is; its "Where things live" which
module does what. Results go to `bench-results/latest.json`; `python -m bench.report` prints them.
"""
