"""Benchmarks and the seed's load test, reproducible with `make bench`."""
