-- The schema step a component has reached (0: none yet).
SELECT coalesce(max(version), 0) AS version FROM schema_version WHERE component = $component
