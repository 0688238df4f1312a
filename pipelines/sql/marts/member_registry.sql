-- A small integer per member key, given once and never changed (see member_registry_add.sql).
CREATE TABLE IF NOT EXISTS member_registry (member_no INTEGER, member_key VARCHAR);
