-- The review of a period's results (a quarter or a year, all levels): one row per transition,
-- never changed or deleted; the state follows from them in order (review.py fold). run_id: the
-- run pinned by submit or put on notice by correct; notice_start/notice_end: the first and last
-- day of public notice (approve, correct). Times are China time (UTC+8).
CREATE TABLE IF NOT EXISTS review_events (
    id INTEGER PRIMARY KEY,
    period VARCHAR NOT NULL CHECK (regexp_full_match(period, '\d{4}(Q[1-4])?')),
    action VARCHAR NOT NULL CHECK (action IN ('submit', 'approve', 'reject', 'withdraw', 'publish', 'correct')),
    run_id INTEGER CHECK ((run_id IS NOT NULL) = (action IN ('submit', 'correct'))),
    notice_start DATE,
    notice_end DATE,
    acted_by VARCHAR NOT NULL,
    acted_at TIMESTAMP NOT NULL,
    reason VARCHAR,
    CHECK ((notice_start IS NOT NULL AND notice_end >= notice_start) = (action IN ('approve', 'correct'))),
    CHECK (action NOT IN ('reject', 'withdraw', 'correct') OR coalesce(length(trim(reason)), 0) > 0))
