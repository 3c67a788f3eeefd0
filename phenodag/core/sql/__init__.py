"""The sql stage: dbt-like SQL models over the Delta tables, run with polars SQL."""
