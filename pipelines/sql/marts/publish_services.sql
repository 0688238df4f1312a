-- Publish the new and changed service records with the member's registry number.
INSERT INTO services BY NAME
SELECT o.* EXCLUDE (_retry, _fail, _first_row, outcome), r0.member_no, getvariable('pbi_batch_id') AS _batch_id
FROM int_services_outcome o LEFT JOIN member_registry r0 ON r0.member_key = o.member_key
WHERE o.outcome IN ('new', 'changed');
