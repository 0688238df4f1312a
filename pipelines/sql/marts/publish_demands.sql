-- Publish the new and changed tickets with the claimant's registry number.
INSERT INTO demands BY NAME
SELECT o.* EXCLUDE (_retry, _fail, _first_row, outcome), r0.member_no AS claimed_by_no,
    getvariable('pbi_batch_id') AS _batch_id
FROM int_demands_outcome o LEFT JOIN member_registry r0 ON r0.member_key = o.claimed_by_key
WHERE o.outcome IN ('new', 'changed');
