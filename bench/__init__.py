"""Benchmarks against the baselines of DESIGN.md §7: `make bench` (`python -m bench`)."""
