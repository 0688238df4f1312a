-- When a load batch was published.
SELECT finished_at FROM load_batches WHERE batch_id = $batch
