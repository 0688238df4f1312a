-- Whether the published files hold a column of a table (older ones lack newer columns).
SELECT count(*) AS n FROM information_schema.columns WHERE table_name = $table AND column_name = $column
