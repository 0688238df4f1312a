-- Organisations a meeting may name: published plus the valid ones of this batch.
CREATE OR REPLACE TEMP TABLE int_known_orgs AS
SELECT org_id FROM orgs
UNION SELECT org_id FROM int_orgs_checked WHERE _fail IS NULL;
