"""The engine on Apache Spark: a session, the DuckDB → Spark SQL dialect layer over the engine's
own SQL, the Parquet lake as Spark's input, and the raw indicator steps run on Spark."""
