"""Dagster wiring of phenodag: assets, checks, partitions, sensors, schedules, resources."""
