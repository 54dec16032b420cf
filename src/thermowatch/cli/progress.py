"""One look for the progress of long jobs: a rich bar on stderr (stdout stays for results)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn


def bar(console: Console | None = None, transient: bool = False) -> Progress:
    """A progress display: label, bar, done/total, elapsed time."""
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=transient,
    )


@contextmanager
def steps(console: Console | None, labels: list[str]) -> Iterator[Callable[[str], None]]:
    """A bar over named steps; the yielded ``advance(label)`` closes one step, names the next."""
    with bar(console) as progress:
        task = progress.add_task(labels[0], total=len(labels) - 1)

        def advance(label: str) -> None:
            progress.update(task, advance=1, description=label)

        yield advance
        progress.update(task, completed=len(labels) - 1, description=labels[-1])
