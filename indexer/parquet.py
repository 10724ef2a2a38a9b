"""The corpus as Parquet: projects, indicators and (when built) document embeddings.

``export_parquet(corpus, out_dir)`` writes one artifact directory::

    manifest.json          format version, corpus hash, counts, partitioning, package versions
    schema.json            every dataset's columns with their Arrow types and meaning
    projects/district=…/   one row per project (amounts as decimal(24, 6) 万元)
    indicators/district=…/ one row per indicator (project_id, ordinal, codes, values, parsed target)
    embeddings/district=…/ one row per search document with its vector (only when vectors are given)

Partitioned hive-style by district, and by ``budget_year`` too when every project
has one (else the year is an ordinary column); partition directories carry the
raw (UTF-8) value, which Spark's and pyarrow's readers both take as is
(``spark.read.parquet(dir + "/projects")``, ``pandas.read_parquet(dir + "/projects")``).
The project columns are derived from the :class:`~indexer.records.Project`
dataclass itself, so a field added there is exported without touching this module.

:func:`read_projects` turns an export back into the same records (the round trip
is tested), and :func:`read_manifest_of` checks an export before a job reads it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from indexer import store_sql
from indexer.artifacts import read_manifest, write_artifact
from indexer.corpus import Corpus
from indexer.errors import ArtifactError, InvalidInputError
from indexer.records import AMOUNT_FIELDS, Indicator, Project

KIND = "parquet-export"
FORMAT_VERSION = 1
SCHEMA_FILE = "schema.json"
AMOUNT_TYPE = pa.decimal128(24, 6)  # 万元, to a millionth (0.01 yuan) and beyond
NUMBER_TYPE = pa.decimal128(38, 10)
_ARROW_OF_ANNOTATION: dict[str, pa.DataType] = {
    "str": pa.string(),
    "str | None": pa.string(),
    "int": pa.int64(),
    "int | None": pa.int64(),
}
_PARTITION_CANDIDATES = ("district", "budget_year")
_BAD_PARTITION_CHARS = set('/\\=%\n\r\t"')

INDICATOR_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("project_id", pa.string(), "Project.id of the indicator's project"),
    ("ordinal", pa.int32(), "1-based number of the indicator in its project"),
    ("level1", pa.string(), "产出 / 效益 / 满意度 / 成本, null where the form prints no category"),
    ("level2_code", pa.string(), "level-2 code 11…43, null where the table gives only level 1"),
    ("name", pa.string(), "normalised indicator name"),
    ("name_raw", pa.string(), "indicator name as written"),
    ("cycle_value", pa.string(), "实施周期指标值 as written"),
    ("annual_value", pa.string(), "年度指标值 as written"),
    ("target_text", pa.string(), "the value the target was parsed from"),
    ("target_comparator", pa.string(), ">=, >, <=, < or ="),
    ("target_number", NUMBER_TYPE, "number of the parsed target"),
    ("target_unit", pa.string(), "unit of the parsed target"),
    ("target_qualitative", pa.bool_(), "true when no number could be read"),
    ("origin", pa.string(), "where the row is in its file: Position.to_dict() as JSON"),
)
EMBEDDING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("project_id", "Project.id"),
    ("kind", "name, goal (one sentence of it) or indicator"),
    ("indicator_ordinal", "Indicator.ordinal for kind=indicator, else null"),
    ("text", "the embedded document text"),
    ("vector", "the encoder's vector (float32)"),
)


def _project_fields() -> list[tuple[str, pa.DataType]]:
    """(name, Arrow type) of every scalar field of ``Project`` (amounts and indicators apart)."""
    out = []
    for f in dataclasses.fields(Project):
        if f.name not in store_sql.PROJECT_SCALARS:
            continue
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        arrow = _ARROW_OF_ANNOTATION.get(annotation)
        if arrow is None:
            raise TypeError(f"Project.{f.name}: no Parquet column type for annotation {annotation!r}")
        out.append((f.name, arrow))
    return out


def _partition_candidates() -> tuple[str, ...]:
    names = {f.name for f in dataclasses.fields(Project)}
    return tuple(c for c in _PARTITION_CANDIDATES if c in names)


def partition_columns(projects: Sequence[Project]) -> tuple[str, ...]:
    """Hive partition columns of an export: district, and budget_year when every project has one.

    A null partition (``__HIVE_DEFAULT_PARTITION__``) is something pandas cannot read
    as is (pyarrow cannot unify its dictionary with nulls), so a year that is unknown
    anywhere stays an ordinary column.
    """
    return tuple(
        c
        for c in _partition_candidates()
        if c == "district" or (bool(projects) and all(getattr(p, c) is not None for p in projects))
    )


def project_schema() -> pa.Schema:
    """Arrow schema of the projects dataset (partition columns included)."""
    fields = [pa.field(name, arrow) for name, arrow in _project_fields()]
    fields += [pa.field(f"amount_{a}", AMOUNT_TYPE) for a in AMOUNT_FIELDS]
    fields.append(pa.field("amount_printed_unit", pa.string()))
    fields.append(pa.field("origin", pa.string()))
    fields.append(pa.field("n_indicators", pa.int32()))
    fields.append(pa.field("corpus_order", pa.int64()))
    return pa.schema(fields)


def indicator_schema() -> pa.Schema:
    """Arrow schema of the indicators dataset (with the project's partition columns)."""
    extra = [pa.field(c, dict(_project_fields())[c]) for c in _partition_candidates()]
    return pa.schema([pa.field(n, t) for n, t, _ in INDICATOR_COLUMNS] + extra)


def embedding_schema(dim: int) -> pa.Schema:
    """Arrow schema of the embeddings dataset."""
    extra = [pa.field(c, dict(_project_fields())[c]) for c in _partition_candidates()]
    return pa.schema(
        [
            pa.field("project_id", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("indicator_ordinal", pa.int32()),
            pa.field("text", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), dim)),
            *extra,
        ]
    )


def _check_partition_value(project: Project, column: str) -> None:
    value = getattr(project, column)
    if value == "" or (value is not None and _BAD_PARTITION_CHARS & set(str(value))):
        raise InvalidInputError(
            f"project {project.id} ({project.source_file} line {project.source_line}): {column} "
            f'{value!r} cannot name a Parquet partition (empty, or one of / \\ = % " or a control char)'
        )


def _decimal(value: Decimal | None, scale: int, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        exact = value.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation as exc:
        raise InvalidInputError(f"{where}: {value} does not fit a Parquet decimal") from exc
    if exact != value:
        raise InvalidInputError(f"{where}: {value} has more than {scale} decimal places")
    return exact


def _project_table(projects: Sequence[Project]) -> pa.Table:
    columns: dict[str, list[Any]] = {f.name: [] for f in project_schema()}
    for order, p in enumerate(projects):
        for column in _partition_candidates():
            _check_partition_value(p, column)
        row = store_sql.project_row(p)
        for a in AMOUNT_FIELDS:
            where = f"project {p.id} ({p.source_file} line {p.source_line}) amount {a}"
            row[f"amount_{a}"] = _decimal(row[f"amount_{a}"], AMOUNT_TYPE.scale, where)
        row.update(n_indicators=len(p.indicators), corpus_order=order)
        for name, value in row.items():
            columns[name].append(value)
    return pa.Table.from_pydict(columns, schema=project_schema())


def _indicator_table(projects: Iterable[Project]) -> pa.Table:
    columns: dict[str, list[Any]] = {f.name: [] for f in indicator_schema()}
    for p in projects:
        for ind in p.indicators:
            row = store_sql.indicator_row(ind)
            where = f"indicator {ind.id} ({p.source_file}) target number"
            row["target_number"] = _decimal(row["target_number"], NUMBER_TYPE.scale, where)
            row.update({c: getattr(p, c) for c in _partition_candidates()})
            for name, value in row.items():
                columns[name].append(value)
    return pa.Table.from_pydict(columns, schema=indicator_schema())


def _embedding_table(corpus: Corpus, vectors: Mapping[bytes, np.ndarray], dim: int) -> pa.Table:
    # Imported here: the search package is heavy (faiss), and only exports with vectors need it.
    from indexer.search.documents import KIND_GOAL, KIND_NAME, build_documents
    from indexer.search.embed import text_key

    docs = build_documents(corpus)
    kind_names = {KIND_NAME: "name", KIND_GOAL: "goal"}
    rows: dict[str, list[Any]] = {f.name: [] for f in embedding_schema(dim)}
    flat: list[np.ndarray] = []
    for d in range(len(docs)):
        text = docs.doc_text(d)
        vector = vectors.get(text_key(text))
        if vector is None:
            continue
        project = corpus.projects[int(docs.project[d])]
        pos = int(docs.indicator[d])
        rows["project_id"].append(project.id)
        rows["kind"].append(kind_names.get(int(docs.kind[d]), "indicator"))
        rows["indicator_ordinal"].append(project.indicators[pos].ordinal if pos >= 0 else None)
        rows["text"].append(text)
        for c in _partition_candidates():
            rows[c].append(getattr(project, c))
        flat.append(np.asarray(vector, dtype=np.float32))
    values = pa.array(np.concatenate(flat) if flat else np.zeros(0, np.float32), type=pa.float32())
    arrays = [pa.array(rows[f.name], type=f.type) for f in embedding_schema(dim) if f.name != "vector"]
    names = [f.name for f in embedding_schema(dim) if f.name != "vector"]
    table = pa.Table.from_arrays(arrays, names=names)
    return table.add_column(4, "vector", pa.FixedSizeListArray.from_arrays(values, dim))


def _write_dataset(table: pa.Table, out: Path, columns: tuple[str, ...]) -> None:
    """One file per partition, in hive-style directories named by the raw (UTF-8) values.

    Written by hand rather than by ``pyarrow.dataset.write_dataset``, which
    percent-escapes CJK bytes that Spark would read back one Latin-1 character per byte.
    Partition columns live in the path only (Spark refuses a column in both).
    """
    if table.num_rows == 0:  # no partition folder to carry the columns: they stay in the file
        out.mkdir(parents=True)
        pq.write_table(table, out / "part-0.parquet")
        return
    data = table.drop_columns(list(columns))
    keys = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    rows_of: dict[tuple[Any, ...], list[int]] = {}
    for row, key in enumerate(keys):
        rows_of.setdefault(key, []).append(row)
    for key, rows in rows_of.items():
        folder = out.joinpath(*(f"{c}={v}" for c, v in zip(columns, key, strict=True)))
        folder.mkdir(parents=True)
        pq.write_table(data.take(pa.array(rows, type=pa.int64())), folder / "part-0.parquet")


def _schema_doc(schema: pa.Schema, descriptions: Mapping[str, str]) -> list[dict[str, str]]:
    return [
        {"name": f.name, "type": str(f.type), "description": descriptions.get(f.name, "")} for f in schema
    ]


def export_parquet(
    corpus: Corpus,
    out_dir: str | Path,
    vectors: Mapping[bytes, np.ndarray] | None = None,
    encoder_name: str | None = None,
) -> dict[str, Any]:
    """Write ``corpus`` as Parquet datasets into ``out_dir`` (atomically); returns the manifest.

    ``vectors`` (text key → vector, e.g. :func:`indexer.search.stored_vectors`) adds the
    embeddings dataset for every document whose text has a vector.
    """
    projects = corpus.projects
    partitions = partition_columns(projects)
    project_table = _project_table(projects)
    indicator_table = _indicator_table(projects)
    dim = len(next(iter(vectors.values()))) if vectors else 0
    embedding_table = _embedding_table(corpus, vectors, dim) if vectors else None

    def build(tmp: Path) -> dict[str, Any]:
        _write_dataset(project_table, tmp / "projects", partitions)
        _write_dataset(indicator_table, tmp / "indicators", partitions)
        datasets = {
            "projects": _schema_doc(
                project_table.schema,
                {"n_indicators": "indicators of the project", "corpus_order": "position in the corpus"},
            ),
            "indicators": _schema_doc(indicator_table.schema, {n: d for n, _, d in INDICATOR_COLUMNS}),
        }
        if embedding_table is not None:
            _write_dataset(embedding_table, tmp / "embeddings", partitions)
            datasets["embeddings"] = _schema_doc(embedding_table.schema, dict(EMBEDDING_COLUMNS))
        schema = {"format_version": FORMAT_VERSION, "partitioning": list(partitions), "datasets": datasets}
        (tmp / SCHEMA_FILE).write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
        return {
            "corpus_hash": corpus.content_hash,
            "n_projects": len(projects),
            "n_indicators": corpus.n_indicators,
            "n_embeddings": 0 if embedding_table is None else embedding_table.num_rows,
            "encoder": encoder_name if embedding_table is not None else None,
            "dim": dim or None,
            "partitioning": list(partitions),
        }

    return write_artifact(Path(out_dir), KIND, FORMAT_VERSION, build)


def read_manifest_of(export_dir: str | Path) -> dict[str, Any]:
    """The checked manifest of an export (``ArtifactError`` when it is not one)."""
    return read_manifest(Path(export_dir), KIND, FORMAT_VERSION, verify_files=False)


def _read(export_dir: Path, name: str, partitions: Sequence[str]) -> pa.Table:
    path = export_dir / name
    if not path.is_dir():
        raise ArtifactError(f"{export_dir}: no {name}/ dataset")
    types = dict(_project_fields())
    schema = pa.schema([pa.field(c, types[c]) for c in partitions])
    return pq.read_table(path, partitioning=ds.partitioning(schema, flavor="hive"))


def stored_amount(value: Decimal | None) -> Decimal | None:
    """Amounts come back with two decimals (万元 to the yuan) unless they have finer digits."""
    if value is None:
        return None
    cents = value.quantize(Decimal("0.01"))
    return cents if cents == value else value.normalize()


def _number(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(format(value.normalize(), "f"))


def indicator_from_row(r: Mapping[str, Any]) -> Indicator:
    """The :class:`Indicator` of one row of the indicators dataset (pyarrow or Spark)."""
    return store_sql.indicator_from_row(r, _number)


def project_from_row(r: Mapping[str, Any], indicators: Iterable[Indicator] = ()) -> Project:
    """The :class:`Project` of one row of the projects dataset (pyarrow or Spark)."""
    return store_sql.project_from_row(r, indicators, stored_amount)


def read_projects(export_dir: str | Path) -> tuple[Project, ...]:
    """The projects (with their indicators) of an export, in corpus order."""
    export_dir = Path(export_dir)
    partitions = read_manifest_of(export_dir)["partitioning"]
    indicators: dict[str, list[Indicator]] = {}
    rows = _read(export_dir, "indicators", partitions).to_pylist()
    for r in sorted(rows, key=lambda r: (r["project_id"], r["ordinal"])):
        indicators.setdefault(r["project_id"], []).append(indicator_from_row(r))
    projects = _read(export_dir, "projects", partitions).to_pylist()
    projects.sort(key=lambda r: r["corpus_order"])
    return tuple(project_from_row(r, indicators.get(r["id"], ())) for r in projects)
