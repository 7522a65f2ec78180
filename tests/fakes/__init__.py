"""Test doubles shared by tests and benchmarks (bench/ puts tests/ on sys.path)."""
