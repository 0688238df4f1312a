-- A small integer per grid code, given once and never changed (see grid_registry_add.sql).
CREATE TABLE IF NOT EXISTS grid_registry (grid_no INTEGER, grid_id VARCHAR);
