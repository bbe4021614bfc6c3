"""Benchmarks: `python -m bench.<name>` (see docs/benchmarks.md).

They build their own databases, print tables, and never assert timings.
"""
