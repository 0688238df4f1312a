-- Rank intervals: the composite ranking redone {replications} times with every indicator
-- weight multiplied by an independent uniform factor (table eng_weight_draws: rep, code,
-- weight), keeping the indicator scores; each unit's 5th and 95th percentile rank.
CREATE OR REPLACE TEMP TABLE mart_rank_intervals_new AS
WITH ind AS (
    SELECT split_part(s.unit, '|', 1) AS level, split_part(s.unit, '|', 2) AS unit_id,
        split_part(s.grp, '|', 1) AS period, n.parent AS idx, s.code, s.score
    FROM eng_scores s JOIN eng_nodes n ON n.code = s.code
    WHERE s.level = 1 AND s.score IS NOT NULL
), totals AS (
    SELECT d.rep, n.parent AS idx, sum(d.weight) AS total
    FROM eng_weight_draws d JOIN eng_nodes n ON n.code = d.code GROUP BY ALL
), idx AS (
    SELECT i.level, i.unit_id, i.period, d.rep, i.idx,
        sum(d.weight * i.score) / sum(d.weight) AS score, sum(d.weight) / any_value(t.total) AS share
    FROM ind i JOIN eng_weight_draws d ON d.code = i.code JOIN totals t ON t.rep = d.rep AND t.idx = i.idx
    GROUP BY ALL
), composite AS (
    SELECT level, unit_id, period, rep, avg(score) AS composite
    FROM idx WHERE share >= {min_share} - 1e-12 GROUP BY ALL HAVING count(*) = {n_indices}
), ranks AS (
    SELECT *, rank() OVER (PARTITION BY period, level, rep ORDER BY composite DESC) AS r FROM composite
)
SELECT period, level, unit_id,
    quantile_disc(r, {q_lo}) AS rank_q05, quantile_disc(r, {q_hi}) AS rank_q95
FROM ranks GROUP BY ALL;
