"""The serving layer: every read of the published marts (warehouse and results), as pure
functions `(connection, run, period, level, scope, …) → DataFrame` over SQL files (sql/*.sql,
one SELECT each, named parameters).

The dashboard (dashboard/data.py adds caching, the viewer's scope and name masking), the meeting
pack (pipelines/report/pack.py) and the command line's exports call these; nothing else queries
the marts. Which run a view reads is decided in one place: runs.resolve.

- runs: which run, its record and provenance      - periods: a run's quarters, a quarter's key and days
- units: rankings, histories, warnings, records   - members: tiers, bands, lists, history, identity
- geometry: map boundaries                        - quality: quarantine and the load ledger
- exports: the CSV exports                        - query: running a file (and the scope macros)

Scopes are applied as given: narrowing a scope to what a user may see is the caller's.
"""
