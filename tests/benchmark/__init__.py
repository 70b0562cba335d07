"""The benchmark: `python -m tests.benchmark` (see README, Performance)."""
