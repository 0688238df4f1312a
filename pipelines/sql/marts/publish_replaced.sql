-- Remove from {mart} the published rows that {kind}'s changed rows replace (same {key}).
DELETE FROM {mart} AS m USING int_{kind}_outcome o WHERE {key:m=o} AND o.outcome = 'changed';
