-- A registry: a small integer ({number}) per {key}, given once and never changed, so that
-- the index engine groups, joins and stores millions of member-level rows on integers
-- rather than strings (several times cheaper). New values are numbered in order after the
-- highest number given so far.
CREATE TABLE IF NOT EXISTS {registry} ({number} INTEGER, {key} VARCHAR);
INSERT INTO {registry}
SELECT coalesce((SELECT max({number}) FROM {registry}), 0) + row_number() OVER (ORDER BY {key}), {key}
FROM (SELECT {key} FROM {known} WHERE {key} IS NOT NULL
      EXCEPT SELECT {key} FROM {registry});
