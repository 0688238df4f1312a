-- The quarter key of a date or timestamp (2025Q3 → 20253): records are aggregated by this
-- integer first and get their label from int_periods, which is much cheaper than a string per row.
CREATE OR REPLACE TEMP MACRO pbi_qkey(d) AS year(d) * 10 + quarter(d);
-- The quarters covered by the data (data_quarters.sql). In `work`, so that the computation's
-- second connection sees them too.
CREATE OR REPLACE TABLE work.int_periods AS {data_quarters};
CREATE OR REPLACE TEMP VIEW int_periods AS SELECT * FROM work.int_periods;
