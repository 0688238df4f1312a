-- What was loaded, batch by batch: when, for which snapshot date, how many files, and how
-- many earlier quarantined rows were released or superseded.
CREATE TABLE IF NOT EXISTS load_batches (
    batch_id INTEGER PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, as_of DATE, strict BOOLEAN,
    files INTEGER, released INTEGER, superseded INTEGER);
