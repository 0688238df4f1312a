-- The roster of each period: the latest snapshot dated on or before the period's last day,
-- else the earliest snapshot. Only members whose 党籍状态 is 正常 count. reporting_org_id: the
-- 报到单位党组织 they report with (v1.1 data; {reporting_org} is NULL on an older warehouse).
CREATE OR REPLACE TEMP VIEW int_period_rosters AS
WITH snapshots AS (SELECT DISTINCT as_of FROM members),
chosen AS (
    SELECT p.period, p.pkey, coalesce(max(s.as_of) FILTER (WHERE s.as_of <= p.p_end), min(s.as_of)) AS as_of
    FROM int_periods p CROSS JOIN snapshots s GROUP BY p.period, p.pkey
)
SELECT c.period, c.pkey, m.member_no, m.grid_no, m.member_type, {reporting_org} AS reporting_org_id
FROM chosen c JOIN members m USING (as_of)
WHERE m.status = '正常';
