"""A Spark session for jixiao's corpus-wide jobs, or a clear error saying what to install.

Used by the Spark report engine (:mod:`indexer.reuse.spark`) and the Spark classifier
(:mod:`classifier.spark`). ``master`` is any Spark master URL: ``local[2]`` (the
default: this machine, two cores), ``spark://host:7077`` for a standalone cluster,
``yarn``, or ``k8s://…``. Locally the executors' Python is this interpreter; on a
cluster it is whatever ``PYSPARK_PYTHON`` names there (it needs jixiao installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.errors import JixiaoError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[2]"
MIN_JAVA = 17
INSTALL_JAVA = "install Java 17 (Debian: `apt-get install openjdk-17-jre-headless`, or `make java`)"
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


class EngineUnavailableError(JixiaoError):
    """The Spark engine cannot start here: Java or pyspark is missing or too old."""

    code = "engine_unavailable"


def java_executable() -> str | None:
    """The ``java`` Spark would start: ``$JAVA_HOME/bin/java``, else the one on ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def check_java() -> int:
    """The major version of the Java Spark would use; ``EngineUnavailableError`` when there is
    none or it is older than Java 17 (what pyspark 4 needs)."""
    java = java_executable()
    if java is None:
        where = (
            f"JAVA_HOME={os.environ['JAVA_HOME']} has no bin/java"
            if "JAVA_HOME" in os.environ
            else ("no `java` on PATH")
        )
        raise EngineUnavailableError(f"the Spark engine needs Java {MIN_JAVA}+: {where}; {INSTALL_JAVA}")
    try:
        done = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineUnavailableError(f"cannot run {java} -version: {exc}; {INSTALL_JAVA}") from exc
    found = _VERSION.search(done.stderr + done.stdout)
    if found is None:
        raise EngineUnavailableError(f"cannot tell the version of {java}; {INSTALL_JAVA}")
    major = int(found.group(1))
    major = int(found.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8
    if major < MIN_JAVA:
        raise EngineUnavailableError(
            f"{java} is Java {major}; the Spark engine needs {MIN_JAVA}+: {INSTALL_JAVA}"
        )
    return major


def spark_session(
    master: str = DEFAULT_MASTER,
    app_name: str = "jixiao",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A (shared) Spark session on ``master``; ``EngineUnavailableError`` naming what to install
    when pyspark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailableError(
            f"the Spark engine needs pyspark ({exc}): `pip install -e .` installs it"
        ) from exc
    check_java()
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.adaptive.enabled": "true",  # also splits a skewed join (one huge bucket)
        **(
            {
                "spark.sql.shuffle.partitions": "4",
                "spark.default.parallelism": "4",
                "spark.driver.memory": "2g",
            }
            if master.startswith("local")
            else {}
        ),
        **(conf or {}),
    }
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# The corpus-wide jobs join corpus-sized tables on both sides (buckets, pairs, labels, members), so
# no side is "small": Spark's size estimate (and AQE's, from the shuffle) once chose to broadcast
# the 5M corpus's bucket-size table, which ran the driver out of memory. Shuffle joins spill instead.
NO_BROADCAST = {
    "spark.sql.autoBroadcastJoinThreshold": "-1",
    "spark.sql.adaptive.autoBroadcastJoinThreshold": "-1",
}


@contextmanager
def session_conf(session: SparkSession, settings: Mapping[str, str]) -> Iterator[None]:
    """Run a block with ``settings`` set on ``session`` (runtime SQL settings), then restore
    each to what it was (or unset it)."""
    before = {key: session.conf.get(key, None) for key in settings}
    for key, value in settings.items():
        session.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                session.conf.unset(key)
            else:
                session.conf.set(key, value)
