"""Benchmarks: `python -m bench.live` (see docs/benchmarks.md).

They build their own databases, print tables, and never assert timings.
"""
