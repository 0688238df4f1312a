-- Data contract v1.1 on a warehouse published before it: tickets gain the claiming org (NULL).
ALTER TABLE demands ADD COLUMN IF NOT EXISTS claimed_by_org VARCHAR;
