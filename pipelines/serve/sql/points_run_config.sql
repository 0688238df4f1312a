-- The methodology text a run recorded (whether it has a [points] rule: methodology v1.2).
SELECT config_text FROM runs WHERE run_id = $run
