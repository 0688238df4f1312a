-- Members a service or a claim may name: anyone on any roster snapshot, published or in this batch.
CREATE OR REPLACE TEMP TABLE int_known_members AS
SELECT DISTINCT member_key FROM members
UNION SELECT id_number_key FROM int_members_checked WHERE _fail IS NULL;
