-- Publish {kind}'s outcome into {mart}: changed rows replace the old ones, new rows are added.
-- The numbered column: a member key's registry number, looked up as rows are published
-- (derived from the key, so not part of the content hash).
DELETE FROM {mart} USING int_{kind}_outcome o WHERE {key_match_mo} AND o.outcome = 'changed';
INSERT INTO {mart} ({columns}{numbered_column}, _content, _batch_id, _file_id, _row)
SELECT {o_columns}{numbered}, o._content, {batch_id}, o._file_id, o._row FROM int_{kind}_outcome o{numbered_join}
WHERE o.outcome IN ('new', 'changed');
