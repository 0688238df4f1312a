-- One password check reserved for $name at $at.
INSERT INTO sign_in_attempts VALUES ($name, $at)
