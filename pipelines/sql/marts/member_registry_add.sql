-- Number the member keys this batch makes known, in order after the highest number given so
-- far (member keys are hashes: the engine works on these integers instead).
INSERT INTO member_registry
SELECT coalesce((SELECT max(member_no) FROM member_registry), 0) + row_number() OVER (ORDER BY member_key), member_key
FROM (SELECT member_key FROM int_known_members WHERE member_key IS NOT NULL
      EXCEPT SELECT member_key FROM member_registry);
