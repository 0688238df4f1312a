-- Which parts of the register's schema this file holds: one row per step applied, per
-- component ('adjustments' here; the review, objections and rectification of issue #10 add
-- their own component). Append-only like everything in the register.
CREATE TABLE IF NOT EXISTS schema_version (
    component VARCHAR NOT NULL, version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL,
    PRIMARY KEY (component, version))
