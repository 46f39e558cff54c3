"""Benchmarks of inocds (see run.py)."""
