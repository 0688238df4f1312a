-- Per period, level and unit: the four scores, the grade ({graded}: int_graded_scores's cut-offs,
-- cap rule and veto, after the quotas), the rank of each score within the level (ties share the lowest rank:
-- 1, 2, 2, 4; missing scores are not ranked) and within the peer class, the composite rank's
-- change against the previous period of the same kind (the quarter before a quarter, the year
-- before a year), red/black list and yellow card. The composite is the adjusted C'
-- (int_adjusted_scores); composite_raw, adjustment and veto come last. The red list is drawn,
-- then vetoed units leave it (nobody takes their place). {min_units} etc. come from the
-- methodology; the list labels {red_list} and {black_list} from pipelines/vocabulary.py.
-- Ranks compare scores rounded to 9 decimals, so floating-point noise (1e-14) never splits
-- units whose scores are equal by hand. Missing scores sort last, so they never come before a
-- ranked unit: no partition by whether a score is missing is needed.
CREATE OR REPLACE TEMP TABLE mart_unit_scores_new AS
WITH ranked AS (
    SELECT *,
        CASE WHEN fortress IS NOT NULL THEN rank() OVER (PARTITION BY period, level
                                                         ORDER BY round(fortress, 9) DESC NULLS LAST) END AS fortress_rank,
        CASE WHEN vanguard IS NOT NULL THEN rank() OVER (PARTITION BY period, level
                                                         ORDER BY round(vanguard, 9) DESC NULLS LAST) END AS vanguard_rank,
        CASE WHEN service IS NOT NULL THEN rank() OVER (PARTITION BY period, level
                                                         ORDER BY round(service, 9) DESC NULLS LAST) END AS service_rank,
        CASE WHEN composite IS NOT NULL THEN rank() OVER (PARTITION BY period, level
                                                          ORDER BY round(composite, 9) DESC NULLS LAST) END AS composite_rank,
        CASE WHEN composite IS NOT NULL THEN rank() OVER (PARTITION BY period, level
                                                          ORDER BY round(composite, 9) ASC NULLS LAST) END AS composite_rank_from_bottom,
        CASE WHEN composite IS NOT NULL AND peer_class IS NOT NULL THEN rank() OVER (
            PARTITION BY period, level, peer_class ORDER BY round(composite, 9) DESC NULLS LAST) END AS peer_rank,
        count(composite) OVER (PARTITION BY period, level) AS ranked_units
    FROM {graded}
), previous AS (
    -- '2025' sorts before '2025Q1': quarters and years are ordered apart.
    SELECT r.*,
        lag(composite_rank) OVER w AS prev_rank, lag(composite) OVER w AS prev_composite, lag(grade) OVER w AS prev_grade
    FROM ranked r
    WINDOW w AS (PARTITION BY level, unit_id, contains(period, 'Q') ORDER BY period)
)
SELECT period, level, unit_id, unit_name, peer_class, fortress, vanguard, service, composite, satisfaction,
    grade, fortress_rank, vanguard_rank, service_rank, composite_rank, peer_rank, ranked_units,
    prev_rank - composite_rank AS rank_change,
    CASE WHEN ranked_units >= {min_units} AND composite_rank <= ceil({red_share} * ranked_units)
             THEN CASE WHEN NOT veto THEN {red_list} END
         WHEN ranked_units >= {min_units} AND composite_rank_from_bottom <= ceil({black_share} * ranked_units)
             THEN {black_list} END AS list,
    coalesce(composite IS NOT NULL AND ((prev_composite - composite) >= {yellow_drop}
        OR (grade = {yellow_grade} AND prev_grade = {yellow_grade})), false) AS yellow_card,
    composite_raw, adjustment, veto
FROM previous;
