-- Publish {kind}'s new and changed rows into {mart} (publish_replaced.sql removed the rows
-- they change); the batch and the place each row came from go with it.
INSERT INTO {mart} BY NAME
SELECT o.* EXCLUDE (_retry, _fail, _first_row, outcome), getvariable('pbi_batch_id') AS _batch_id
FROM int_{kind}_outcome o
WHERE o.outcome IN ('new', 'changed');
