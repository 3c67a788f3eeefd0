"""Partitions: one dynamic partition per plate."""

import dagster as dg

plates_partitions = dg.DynamicPartitionsDefinition(name="plates")
