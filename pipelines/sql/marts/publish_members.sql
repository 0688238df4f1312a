-- Publish the roster's new and changed rows, each with its member's and grid's registry
-- number (derived from the keys, so not part of the content hash).
INSERT INTO members BY NAME
SELECT o.* EXCLUDE (_retry, _fail, _first_row, outcome), r0.member_no, r1.grid_no,
    getvariable('pbi_batch_id') AS _batch_id
FROM int_members_outcome o
LEFT JOIN member_registry r0 ON r0.member_key = o.member_key
LEFT JOIN grid_registry r1 ON r1.grid_id = o.grid_id
WHERE o.outcome IN ('new', 'changed');
