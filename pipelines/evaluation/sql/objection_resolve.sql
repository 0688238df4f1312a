-- An objection's resolution (the primary key refuses a second one).
INSERT INTO objection_resolutions VALUES ($id, $decision, $note, $by, $at)
