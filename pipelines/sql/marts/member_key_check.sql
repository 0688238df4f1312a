-- The fingerprint of the key the warehouse's member keys were made with (an HMAC of a
-- constant under the key, never the key: pipelines/load/secret.py). A load with a key of
-- another fingerprint is refused; the first load, or the first since this table exists, records it.
CREATE TABLE IF NOT EXISTS member_key_check (fingerprint VARCHAR, recorded_at TIMESTAMP, batch_id INTEGER);
