-- Grade quota (名额控制, methodology v1.1) for {grade}: within a period and level, at most
-- ceil({share} × ranked units) units keep it; the holders ranked beyond that number by C'
-- drop to {next_grade}, except those tied (to 9 decimals, as ranks) with the last unit
-- inside: a holder keeps the grade iff its rank among the holders is within the quota. Run
-- once per grade with a quota, best grade first, so that units dropped count towards the
-- next grade's quota: each run reads the grading before it ({source}) into a new table
-- ({into}), a SELECT rather than an UPDATE in place, so that Spark runs it too.
CREATE OR REPLACE TEMP TABLE {into} AS
SELECT t.* EXCLUDE (grade), CASE WHEN d.unit_id IS NOT NULL THEN {next_grade} ELSE t.grade END AS grade
FROM {source} t
LEFT JOIN (
    SELECT period, level, unit_id FROM (
        SELECT period, level, unit_id, ranked,
            rank() OVER (PARTITION BY period, level ORDER BY round(composite, 9) DESC) AS place
        FROM (SELECT *, count(composite) OVER (PARTITION BY period, level) AS ranked FROM {source})
        WHERE grade = {grade}
    )
    WHERE place > ceil({share} * ranked)
) d ON t.period = d.period AND t.level = d.level AND t.unit_id = d.unit_id;
