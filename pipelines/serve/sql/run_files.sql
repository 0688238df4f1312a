-- The loaded files with these content hashes: their names and kinds, where the warehouse still knows them.
SELECT content_hash, file_name, kind FROM load_files WHERE list_contains($hashes::VARCHAR[], content_hash)
