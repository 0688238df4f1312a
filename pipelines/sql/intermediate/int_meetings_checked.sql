-- Meeting records against the contract (rules: macros.sql; the first that fails).
CREATE OR REPLACE TEMP VIEW int_meetings_checked AS
WITH t AS (
    SELECT s.*, pbi_date(meeting_date) AS meeting_date_d, pbi_int(expected) AS expected_n,
        pbi_int(attended) AS attended_n
    FROM stg_meetings s
)
SELECT t.*, coalesce(
    pbi_required(meeting_id, 'meeting_id'),
    pbi_required(org_id, 'org_id'),
    pbi_rule(org_id NOT IN (SELECT org_id FROM int_known_orgs), 'unknown_org', 'org_id', org_id),
    pbi_required_code('meetings', 'meeting_type', meeting_type),
    pbi_required_date(meeting_date, meeting_date_d, 'meeting_date'),
    pbi_required(expected, 'expected'),
    pbi_in_range('meetings', 'expected', expected),
    pbi_rule(coalesce(expected_n, 0) <= 0, 'expected_not_positive', 'expected', expected),
    pbi_required(attended, 'attended'),
    pbi_count('meetings', attended, attended_n, 'attended'),
    pbi_rule(attended_n > expected_n, 'attended_gt_expected', 'attended', attended || ' > ' || expected)
) AS _fail
FROM t;
