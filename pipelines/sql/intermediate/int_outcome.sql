-- What becomes of each staged row of {kind}: quarantined (a rule failed), duplicate (exact
-- copy of an earlier row of the same file), superseded (a retried quarantined row whose key
-- has since been loaded), conflict (key repeated in the batch with other content), repeat
-- (same key and content as an earlier row of the batch), or new / changed / unchanged
-- against the published table. From the load plan: {kind}, its {mart} and its {key}
-- ({key:k=r}: k's key columns equal r's). A row's content is every typed column but the
-- bookkeeping ones (_file_id, _row, _retry, _fail).
-- Aggregates over small sets, not windows over every row: this runs on millions of rows.
CREATE OR REPLACE TEMP TABLE int_{kind}_outcome AS
WITH rows AS MATERIALIZED (
    SELECT t.*, hash(*COLUMNS(* EXCLUDE (_file_id, _row, _retry, _fail))) AS _content FROM int_{kind}_typed t
), repeated AS MATERIALIZED (
    -- the rows that passed whose key is seen more than once: only these can be duplicates
    -- (same content, hence same key), superseded by a row of the batch, conflicts or repeats.
    -- One group-by over every row; the closer looks below run on these few.
    SELECT * FROM rows WHERE _fail IS NULL AND ({key}) IN (
        SELECT ({key}) FROM rows WHERE _fail IS NULL GROUP BY ALL HAVING count(*) > 1)
), dup_groups AS (
    SELECT _file_id, _content, min(_row) AS _first_row FROM repeated
    GROUP BY ALL HAVING count(*) > 1
), retried AS (
    SELECT * FROM rows WHERE _retry AND _fail IS NULL
), superseded AS (
    -- a retried row whose key is published, or arrives with this batch
    SELECT r._file_id, r._row FROM retried r JOIN {mart} m USING ({key})
    UNION
    SELECT r._file_id, r._row FROM retried r
    JOIN (SELECT DISTINCT {key} FROM repeated WHERE NOT _retry) f USING ({key})
), key_groups AS (
    -- keys seen more than once among the rows that passed (duplicates do not change the
    -- verdict: same content, later position); superseded retries take no part
    SELECT {key}, min(_content) <> max(_content) AS _conflict,
        min((_file_id::BIGINT << 32) + _row) AS _first
    FROM repeated r
    WHERE NOT (_retry AND EXISTS (SELECT 1 FROM superseded s WHERE s._file_id = r._file_id AND s._row = r._row))
    GROUP BY ALL HAVING count(*) > 1
)
SELECT r.*, d._first_row,
    CASE WHEN r._fail IS NOT NULL THEN 'quarantined'
         WHEN d._first_row IS NOT NULL AND r._row <> d._first_row THEN 'duplicate'
         WHEN s._row IS NOT NULL THEN 'superseded'
         WHEN k._conflict THEN 'conflict'
         WHEN k._first IS NOT NULL AND (r._file_id::BIGINT << 32) + r._row <> k._first THEN 'repeat'
         WHEN m._content IS NULL THEN 'new'
         WHEN m._content = r._content THEN 'unchanged'
         ELSE 'changed' END AS outcome
FROM rows r
LEFT JOIN dup_groups d ON r._fail IS NULL AND d._file_id = r._file_id AND d._content = r._content
LEFT JOIN superseded s ON s._file_id = r._file_id AND s._row = r._row
LEFT JOIN key_groups k ON r._fail IS NULL AND {key:k=r}
LEFT JOIN {mart} m ON r._fail IS NULL AND {key:m=r};
