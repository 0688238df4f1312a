"""Small DuckDB helpers shared by the loader and the engine."""

from __future__ import annotations

import threading

import duckdb


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """One value. fetchall() so the result is complete: DuckDB 2.0 refuses new work on a
    connection with an unfinished result (fetchone() leaves it open)."""
    return con.execute(sql, params or []).fetchall()[0][0]


def sibling(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the same database, with the same default database and search
    path (temp tables and macros stay each connection's own), for work run beside `con`."""
    cur = con.cursor()
    db = scalar(con, "SELECT current_database()")
    path = scalar(con, "SELECT current_setting('search_path')")
    cur.execute('USE "' + db.replace('"', '""') + '"')
    if path:
        cur.execute("SET search_path = '" + path.replace("'", "''") + "'")
    return cur


class Beside(threading.Thread):
    """A call run in a thread beside the caller; result() waits for it (and re-raises)."""

    def __init__(self, fn, *args) -> None:
        super().__init__(daemon=True)
        self._call, self._value, self._error = (fn, args), None, None
        self.start()

    def run(self) -> None:
        fn, args = self._call
        try:
            self._value = fn(*args)
        except BaseException as e:  # handed to the caller
            self._error = e

    def result(self):
        self.join()
        if self._error is not None:
            raise self._error
        return self._value
