-- Earlier quarantined rows of {kind} join this batch's staged rows and are checked again
-- (the rules or the rows they refer to may have changed). Quarantine keeps each as its staged
-- row in JSON; {structure} is stg_{kind}'s columns and types. Exact duplicates are never retried,
-- nor lines that could not be read as a row (they have no staged row).
INSERT INTO stg_{kind} BY NAME
SELECT * EXCLUDE (_retry), true AS _retry
FROM (SELECT unnest(from_json(staged, '{structure}')) FROM quarantine
      WHERE kind = '{kind}' AND rule <> 'duplicate_row' AND staged IS NOT NULL);
