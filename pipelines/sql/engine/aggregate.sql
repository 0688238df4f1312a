-- One level of the tree: each parent of level {level} from its scored children. Missing
-- children are skipped and the others' weights renormalised; a parent whose present
-- children carry less than its min_share of the total weight is missing (no row).
-- share: the weight share of the children present.
INSERT INTO eng_scores
WITH totals AS (
    SELECT parent, sum(weight) AS total FROM eng_nodes WHERE parent IS NOT NULL GROUP BY parent
), agg AS (
    SELECT s.unit, s.grp, n.parent AS code,
        sum(n.weight * s.score) / sum(n.weight) AS amean,
        exp(sum(n.weight * ln(s.score)) / sum(n.weight)) AS gmean,
        sum(n.weight) / any_value(t.total) AS share
    FROM eng_scores s
    JOIN eng_nodes n ON n.code = s.code
    JOIN totals t ON t.parent = n.parent
    JOIN eng_nodes p ON p.code = n.parent
    WHERE p.level = {level} AND s.score IS NOT NULL
    GROUP BY s.unit, s.grp, n.parent
)
SELECT a.unit, a.grp, a.code, {level},
    CASE p.aggregate WHEN 'gmean' THEN a.gmean ELSE a.amean END, a.share
FROM agg a JOIN eng_nodes p ON p.code = a.code
WHERE a.share >= p.min_share - 1e-12;
