"""Science and I/O of phenodag, free of any Dagster import."""
