-- Meeting records against the contract.
CREATE OR REPLACE TEMP VIEW int_meetings_checked AS
WITH t AS (
    SELECT s.*, pbi_date(meeting_date) AS meeting_date_d, pbi_int(expected) AS expected_n,
        pbi_int(attended) AS attended_n
    FROM stg_meetings s
)
SELECT t.*,
    CASE
        WHEN meeting_id IS NULL THEN pbi_fail('missing_required', 'meeting_id', NULL)
        WHEN org_id IS NULL THEN pbi_fail('missing_required', 'org_id', NULL)
        WHEN org_id NOT IN (SELECT org_id FROM int_known_orgs) THEN pbi_fail('unknown_org', 'org_id', org_id)
        WHEN meeting_type IS NULL THEN pbi_fail('missing_required', 'meeting_type', NULL)
        WHEN NOT pbi_code_ok('meetings', 'meeting_type', meeting_type)
            THEN pbi_fail('invalid_code', 'meeting_type', meeting_type)
        WHEN meeting_date IS NULL THEN pbi_fail('missing_required', 'meeting_date', NULL)
        WHEN meeting_date_d IS NULL THEN pbi_fail('invalid_date', 'meeting_date', meeting_date)
        WHEN expected IS NULL THEN pbi_fail('missing_required', 'expected', NULL)
        WHEN coalesce(expected_n, 0) <= 0 THEN pbi_fail('expected_not_positive', 'expected', expected)
        WHEN attended IS NULL THEN pbi_fail('missing_required', 'attended', NULL)
        WHEN coalesce(attended_n, -1) < 0 THEN pbi_fail('invalid_number', 'attended', attended)
        WHEN attended_n > expected_n THEN pbi_fail('attended_gt_expected', 'attended', attended || ' > ' || expected)
    END AS _fail
FROM t;
