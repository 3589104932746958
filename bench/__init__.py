"""Benchmarks: `make bench` (bench/run.py). Nothing here is imported by the product."""
