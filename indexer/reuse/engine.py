"""Report engines: where the reuse detection runs. ``local`` (default) or ``spark``.

Both take the corpus as a :class:`~indexer.corpus.Corpus` or as the folder of a
Parquet export (:mod:`indexer.parquet`) and give the same
:class:`~indexer.reuse.records.ReuseReport`, which the same serialisers write.
The local engine holds everything in one process; the Spark engine
(:mod:`indexer.reuse.spark`) runs the corpus-wide steps as a PySpark job, and its
report lists only the first ``json_max_members`` members of each cluster, so the
engine that found a report writes it (:meth:`ReportEngine.write_report`): the
complete membership goes to the members files from where it is held.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import InvalidInputError
from indexer.parquet import read_projects
from indexer.reuse.detect import find_reuse
from indexer.reuse.html import write_report
from indexer.reuse.records import ReuseParams, ReuseReport

ENGINES: tuple[str, ...] = ("local", "spark")


class ReportEngine(Protocol):
    """Finds reuse in a corpus."""

    name: str

    def find_reuse(
        self, source: Corpus | Path, encoder: Encoder, params: ReuseParams | None = None
    ) -> ReuseReport:
        """The reuse report of ``source`` (a corpus, or a Parquet export folder)."""
        ...

    def write_report(self, report: ReuseReport, out_dir: Path) -> Path:
        """Write the files of ``report`` (the last one this engine found) into ``out_dir``;
        return the HTML path. The members files list every member of every cluster."""
        ...


class LocalEngine:
    """Everything in memory, in this process (:func:`indexer.reuse.find_reuse`)."""

    name = "local"

    def find_reuse(
        self, source: Corpus | Path, encoder: Encoder, params: ReuseParams | None = None
    ) -> ReuseReport:
        """The reuse report of ``source`` computed in this process."""
        corpus = source if isinstance(source, Corpus) else Corpus(projects=read_projects(source))
        return find_reuse(corpus, encoder, params)

    def write_report(self, report: ReuseReport, out_dir: Path) -> Path:
        """Write the report's files; its clusters list every member, so the members files come
        from them."""
        return write_report(report, out_dir)


def get_engine(name: str, master: str | None = None) -> ReportEngine:
    """The engine called ``name``; ``master`` is the Spark master URL (default ``local[2]``)."""
    if name == "local":
        if master is not None:
            raise InvalidInputError("--master is for --engine spark")
        return LocalEngine()
    if name == "spark":
        from indexer.reuse.spark import SparkEngine

        return SparkEngine(master=master)
    raise InvalidInputError(f"unknown report engine {name!r}: choose one of {', '.join(ENGINES)}")
