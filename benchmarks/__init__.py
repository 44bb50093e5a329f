"""Benchmarks of wolkvox-import: ``python -m benchmarks`` (``--quick`` for a smoke run)."""
