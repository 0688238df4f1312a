-- The roster snapshot the data stands at (数据日期).
SELECT max(as_of) AS d FROM members
