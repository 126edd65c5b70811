"""Benchmarks that print numbers (`make bench`); timing goals live here, never in timed tests."""
