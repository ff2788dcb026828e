"""Benchmark tooling: a generator for a region-scale synthetic dataset (see README.md)."""
