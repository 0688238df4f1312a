-- Member registry: a small integer (member_no) per member key, given once and never changed.
-- The index engine groups and joins millions of records per member; on integers that is
-- several times cheaper than on 32-character keyed hashes. New keys are numbered in key
-- order after the highest number given so far.
CREATE TABLE IF NOT EXISTS member_registry (member_no INTEGER, member_key VARCHAR);
INSERT INTO member_registry
SELECT coalesce((SELECT max(member_no) FROM member_registry), 0) + row_number() OVER (ORDER BY member_key), member_key
FROM (SELECT member_key FROM int_known_members WHERE member_key IS NOT NULL
      EXCEPT SELECT member_key FROM member_registry);
