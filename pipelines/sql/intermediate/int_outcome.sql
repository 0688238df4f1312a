-- What becomes of each staged row of {kind}: quarantined (a rule failed), duplicate (exact
-- copy of an earlier row of the same file), conflict (key repeated in the batch with other
-- content), superseded (a retried quarantined row whose key has since been loaded), repeat
-- (same key and content as an earlier row of the batch), or new / changed / unchanged
-- against the published table. {key} and {content} are filled in from the contract.
CREATE OR REPLACE TEMP TABLE int_{kind}_outcome AS
WITH rows AS (
    SELECT t.*, hash({content}) AS _content FROM int_{kind}_typed t
), ok AS (
    SELECT *,
        min(_row) OVER (PARTITION BY _file_id, _content) AS _first_row,
        row_number() OVER (PARTITION BY _file_id, _content ORDER BY _row) AS _dup_rank
    FROM rows WHERE _fail IS NULL
), retry_superseded AS (
    SELECT o._file_id, o._row FROM ok o
    WHERE o._retry AND (EXISTS (SELECT 1 FROM {mart} m WHERE {key_match_m})
                        OR EXISTS (SELECT 1 FROM ok n WHERE NOT n._retry AND {key_match_n}))
), candidates AS (
    SELECT * FROM ok WHERE _dup_rank = 1 AND (_file_id, _row) NOT IN (SELECT (_file_id, _row) FROM retry_superseded)
), conflicts AS (
    SELECT {key} FROM candidates GROUP BY {key} HAVING count(DISTINCT _content) > 1
), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY {key} ORDER BY _file_id, _row) AS _key_rank,
        EXISTS (SELECT 1 FROM conflicts x WHERE {key_match_x}) AS _conflict
    FROM candidates c
)
SELECT r.* EXCLUDE (_key_rank, _conflict, _first_row, _dup_rank),
    CASE WHEN r._conflict THEN 'conflict'
         WHEN r._key_rank > 1 THEN 'repeat'
         WHEN m._content IS NULL THEN 'new'
         WHEN m._content = r._content THEN 'unchanged'
         ELSE 'changed' END AS outcome,
    NULL AS _first_row
FROM ranked r LEFT JOIN {mart} m USING ({key})
UNION ALL BY NAME
SELECT o.* EXCLUDE (_first_row, _dup_rank), 'duplicate' AS outcome, _first_row FROM ok o WHERE _dup_rank > 1
UNION ALL BY NAME
SELECT o.* EXCLUDE (_first_row, _dup_rank), 'superseded' AS outcome, NULL AS _first_row FROM ok o
WHERE (_file_id, _row) IN (SELECT (_file_id, _row) FROM retry_superseded)
UNION ALL BY NAME
SELECT r.*, 'quarantined' AS outcome, NULL AS _first_row FROM rows r WHERE _fail IS NOT NULL;
