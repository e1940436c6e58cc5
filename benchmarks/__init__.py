"""Benchmarks (run with `scripts/benchmark`; never part of the test suite)."""
