"""Benchmarks: print ratios, not verdicts."""
