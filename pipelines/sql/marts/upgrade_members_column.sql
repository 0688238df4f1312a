-- Data contract v1.1 on a warehouse published before it: rosters gain the reporting org (NULL).
ALTER TABLE members ADD COLUMN IF NOT EXISTS reporting_org_id VARCHAR;
