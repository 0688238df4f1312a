-- Years (methodology v1.1): per year, level and unit, each index is the mean of the year's
-- quarterly index over the quarters where it is present, missing if present in fewer than
-- {min_quarters}; the composite is the tree's composite rule over these annual indices
-- ({composite}, missing if any is). Sums run in quarter order, so a what-if gets the same bits.
-- {engine}: the quarterly engine scores (period '2025Q3', {keys}, one column per index).
CREATE OR REPLACE TEMP TABLE int_year_engine AS
SELECT *, {composite} AS composite FROM (
    SELECT left(period, 4) AS period, {keys}, {means}
    FROM {engine}
    GROUP BY ALL
);
