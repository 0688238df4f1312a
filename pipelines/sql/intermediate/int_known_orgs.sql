-- Organisations a meeting, task, roster or demand may name, with their type (a roster's
-- reporting org must be a 报到单位党组织): the valid ones of this batch, and those published
-- that this batch does not restate. An org_id given twice with two types is known under both
-- (the key conflict quarantines the org rows themselves).
CREATE OR REPLACE TEMP TABLE int_known_orgs AS
SELECT DISTINCT org_id, org_type FROM int_orgs_checked WHERE _fail IS NULL
UNION ALL SELECT org_id, org_type FROM orgs
WHERE org_id NOT IN (SELECT org_id FROM int_orgs_checked WHERE _fail IS NULL AND org_id IS NOT NULL);
