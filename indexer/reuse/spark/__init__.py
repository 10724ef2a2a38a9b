"""The Spark report engine: the reuse detection as a PySpark job (``jixiao report --engine spark``).

Its input is a Parquet export (:func:`indexer.parquet.export_parquet`); given a
:class:`~indexer.corpus.Corpus`, it exports it to a temporary folder first. See
:mod:`indexer.reuse.spark.job` for what runs where and
:mod:`indexer.reuse.spark.lsh` for how near-duplicates are found.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.corpus import Corpus
from indexer.encoder.base import Encoder
from indexer.errors import InvalidInputError
from indexer.parquet import export_parquet
from indexer.reuse.html import write_report
from indexer.reuse.records import ReuseParams, ReuseReport
from indexer.reuse.serialize import MEMBER_TABLES
from indexer.spark_session import DEFAULT_MASTER, NO_BROADCAST, session_conf, spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from indexer.reuse.spark.lsh import LshStats
    from indexer.reuse.spark.summaries import KindClusters


class SparkEngine:
    """Runs the reuse detection on a Spark master (``local[2]`` unless told otherwise)."""

    name = "spark"

    def __init__(self, master: str | None = None, session: SparkSession | None = None) -> None:
        self.master = master or DEFAULT_MASTER
        self._session = session
        self.last_stats: dict[str, LshStats] = {}
        self._last: tuple[ReuseReport, dict[str, KindClusters]] | None = None

    @property
    def session(self) -> SparkSession:
        """The Spark session (started on first use)."""
        if self._session is None:
            self._session = spark_session(self.master, app_name="jixiao-reuse")
        return self._session

    def find_reuse(
        self, source: Corpus | Path, encoder: Encoder, params: ReuseParams | None = None
    ) -> ReuseReport:
        """The reuse report of ``source`` (a corpus, or a Parquet export folder) computed by Spark."""
        from indexer.reuse.spark.job import run_reuse_job

        params = params or ReuseParams()
        if isinstance(source, Corpus):
            # what the members files are written from is checkpointed: the export can go
            with tempfile.TemporaryDirectory(prefix="jixiao-spark-") as tmp:
                export_parquet(source, Path(tmp) / "corpus")
                with session_conf(self.session, NO_BROADCAST):
                    found = run_reuse_job(self.session, Path(tmp) / "corpus", encoder, params)
        else:
            with session_conf(self.session, NO_BROADCAST):
                found = run_reuse_job(self.session, Path(source), encoder, params)
        report, self.last_stats, kinds = found
        self._last = (report, kinds)
        return report

    def write_report(self, report: ReuseReport, out_dir: Path) -> Path:
        """Write the report's files; the members files come from the executors (with a cluster,
        ``out_dir`` must be on a file system the executors and the driver share)."""
        if self._last is None or self._last[0] is not report:
            raise InvalidInputError(
                "this Spark engine did not find that report: write it right after find_reuse"
            )
        kinds = self._last[1]

        def members(tables_dir: Path) -> None:
            for kind, name in MEMBER_TABLES.items():
                kinds[kind].write_members(tables_dir / f"{name}.csv")

        with session_conf(self.session, NO_BROADCAST):  # the members files join members to clusters
            return write_report(report, out_dir, members)
