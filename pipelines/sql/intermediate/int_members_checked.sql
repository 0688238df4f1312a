-- Roster rows against the contract (rules: macros.sql; the first that fails). Dates typed;
-- join and full-member dates not after the snapshot date; a birth date may precede the Party.
CREATE OR REPLACE TEMP VIEW int_members_checked AS
WITH t AS (
    SELECT s.*, pbi_date(as_of) AS as_of_d, pbi_date(birth_date) AS birth_date_d, pbi_date(join_date) AS join_date_d,
        pbi_date(full_member_date) AS full_member_date_d
    FROM stg_members s
), reporting AS (  -- each known org once: whether one of its types is 报到单位党组织
    SELECT org_id, bool_or(org_type = '报到单位党组织') AS is_reporting FROM int_known_orgs GROUP BY org_id
)
SELECT t.*, coalesce(
    pbi_required(name, 'name'),
    pbi_id_number(id_number_mask, id_number_rule),
    pbi_required(grid_id, 'grid_id'),
    pbi_rule(grid_id NOT IN (SELECT grid_id FROM int_known_grids), 'unknown_grid', 'grid_id', grid_id),
    pbi_required_code('members', 'member_category', member_category),
    pbi_required_code('members', 'member_type', member_type),
    pbi_required_code('members', 'status', status),
    pbi_code('members', 'gender', gender),
    pbi_required_date(as_of, as_of_d, 'as_of'),
    pbi_date_in(birth_date, birth_date_d, 'birth_date', getvariable('pbi_earliest_birth'), NULL),
    pbi_date_in(join_date, join_date_d, 'join_date', getvariable('pbi_earliest'), as_of_d),
    pbi_date_in(full_member_date, full_member_date_d, 'full_member_date', getvariable('pbi_earliest'), as_of_d),
    pbi_staged_rule(phone_rule, 'phone', phone_mask),
    -- v1.1: the unit's Party organisation an in-service member reports with (双报到), when given:
    -- known (one join, not a subquery per rule: the view is read several times per load)
    pbi_rule(t.reporting_org_id IS NOT NULL AND r.org_id IS NULL, 'unknown_org', 'reporting_org_id', t.reporting_org_id),
    pbi_rule(t.reporting_org_id IS NOT NULL AND NOT r.is_reporting,
        'not_reporting_org', 'reporting_org_id', t.reporting_org_id)
) AS _fail
FROM t LEFT JOIN reporting r ON r.org_id = t.reporting_org_id;
