"""What the user sees of a load: progress while staging, then a table per file."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from pipelines.load.batch import BatchResult

console = Console()
if not console.is_terminal:  # piped or logged: wide enough that file names are never cut
    console = Console(width=200)
STATUS = {
    "loaded": "已加载",
    "unchanged": "已加载过，无变化 (already loaded)",
    "duplicate_file": "与本批次另一文件完全相同，未重复加载 (copy of a file in this batch)",
}


class Progress:
    """Files staged so far; quiet when output is not a terminal."""

    def __enter__(self) -> Progress:
        self._bar = RichProgress(
            TextColumn("读取 {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self._bar.__enter__()
        self._task = None
        return self

    def update(self, name: str, done: int, total: int) -> None:
        if self._task is None:
            self._task = self._bar.add_task(name, total=total)
        self._bar.update(self._task, description=name, completed=done)

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)


def summary(result: BatchResult) -> None:
    table = Table(title=f"加载批次 {result.batch_id} (load batch)", show_lines=False)
    for col in (
        "文件 file",
        "类型 kind",
        "读取 read",
        "加载 loaded",
        "隔离 quarantined",
        "未变 unchanged",
        "状态 status",
    ):
        table.add_column(col, justify="right" if col[0] in "读加隔未" else "left")
    for f in result.files:
        table.add_row(
            f.file,
            f.kind,
            f"{f.rows_read:,}",
            f"{f.loaded:,}",
            f"{f.quarantined:,}",
            f"{f.unchanged:,}",
            STATUS.get(f.status, f.status),
        )
    console.print(table)
    if result.released or result.superseded:
        console.print(
            f"先前隔离的行：{result.released:,} 行已补齐加载，{result.superseded:,} 行已被新数据取代 "
            f"(earlier quarantined rows: {result.released:,} loaded now, {result.superseded:,} superseded)"
        )
    if result.top_reasons:
        console.print("本批次数据行的主要隔离原因 (top reasons among this batch's rows):")
        for reason, n in result.top_reasons:
            console.print(f"  {n:>8,}  {reason}")
    if result.retried_still:
        console.print(
            f"先前批次隔离的行经重试仍被隔离：{result.retried_still:,} 行 "
            f"(earlier quarantined rows retried and still quarantined: {result.retried_still:,})"
        )
    for notice in result.notices:
        console.print(notice, highlight=False)
    console.print("已发布 (published)" if result.published else "未发布 (not published)")


def error(message: str) -> None:
    console.print(f"[bold red]加载失败 (load failed)[/]: {message}", highlight=False)
