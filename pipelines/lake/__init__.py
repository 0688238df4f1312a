"""The lake: the published warehouse as Parquet files with a manifest, the hand-off to Spark (docs/scale-out.md)."""
