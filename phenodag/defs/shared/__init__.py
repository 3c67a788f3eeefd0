"""Dagster wiring that every stage module shares: resources, partitions, metadata helpers."""
