"""The loader: raw exports → validated, quarantined, reconciled tables in DuckDB."""
