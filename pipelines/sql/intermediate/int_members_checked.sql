-- Roster rows against the contract (rules: macros.sql; the first that fails). Dates typed;
-- join and full-member dates not after the snapshot date; a birth date may precede the Party.
CREATE OR REPLACE TEMP VIEW int_members_checked AS
WITH t AS (
    SELECT s.*, pbi_date(as_of) AS as_of_d, pbi_date(birth_date) AS birth_date_d, pbi_date(join_date) AS join_date_d,
        pbi_date(full_member_date) AS full_member_date_d
    FROM stg_members s
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
    -- v1.1: the unit's Party organisation an in-service member reports with (双报到); when given
    -- (NOT IN an empty set is true even for NULL, so the absence is tested first)
    pbi_rule(reporting_org_id IS NOT NULL AND reporting_org_id NOT IN (SELECT org_id FROM int_known_orgs),
        'unknown_org', 'reporting_org_id', reporting_org_id),
    pbi_rule(reporting_org_id IS NOT NULL
             AND reporting_org_id NOT IN (SELECT org_id FROM int_known_orgs WHERE org_type = '报到单位党组织'),
        'not_reporting_org', 'reporting_org_id', reporting_org_id)
) AS _fail
FROM t;
