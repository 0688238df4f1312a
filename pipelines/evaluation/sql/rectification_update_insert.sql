-- A report on an item (update) or its confirmation (confirm).
INSERT INTO rectification_updates VALUES ($id, $action, $measures, $status, $evidence_name, $evidence_sha256, $by, $at)
