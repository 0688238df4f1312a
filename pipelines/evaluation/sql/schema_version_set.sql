-- Record a schema step as applied.
INSERT INTO schema_version VALUES ($component, $version, $at)
