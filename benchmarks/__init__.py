"""Benchmarks: the enterprise network generator and the timing harnesses that use it."""
