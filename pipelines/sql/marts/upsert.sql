-- Publish {kind}'s outcome into {mart}: changed rows replace the old ones, new rows are added.
DELETE FROM {mart} USING int_{kind}_outcome o WHERE {key_match_mo} AND o.outcome = 'changed';
INSERT INTO {mart} ({columns}, _content, _batch_id, _file_id, _row)
SELECT {columns}, _content, {batch_id}, _file_id, _row FROM int_{kind}_outcome WHERE outcome IN ('new', 'changed');
