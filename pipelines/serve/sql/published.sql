-- Whether the published files hold a table or view (older ones lack newer marts).
SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $table
