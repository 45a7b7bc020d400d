"""`make bench`: the adapter and the bridge against bare aiokafka + aiohttp pipelines, side by side.

docs/benchmark.md says how to run it and what each figure is, docs/layout.md which module does what.
"""
