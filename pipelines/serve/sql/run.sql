-- A run's record: id, time, methodology version, config hash and text, data batch, digest and files.
SELECT * FROM runs WHERE run_id = $run
