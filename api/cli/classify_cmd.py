"""``jixiao classify``, ``jixiao evaluate`` and ``jixiao audit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import get_settings

if TYPE_CHECKING:
    from classifier.model import IndicatorClassifier
    from classifier.records import Prediction
    from indexer.corpus import Corpus


# The --engine spark options classify and audit share.
EngineOption = Annotated[
    str, typer.Option("--engine", help="local, or spark: batch-tag --input PARQUET into --out.")
]
InputOption = Annotated[
    Path | None, typer.Option("--input", help="Parquet (a `jixiao export` folder) for --engine spark.")
]
OutOption = Annotated[Path | None, typer.Option("--out", help="Output Parquet folder (--engine spark).")]
MasterOption = Annotated[str | None, typer.Option("--master", help="Spark master URL (default local[2]).")]


def _load_model(corpus: Corpus | None = None) -> IndicatorClassifier:
    """The stored classifier with the configured encoder (pinned to ``corpus`` when given).

    The encoder is lazy: a classifier that does not embed never loads the model; its files
    are checked by size and mtime (hashed only if changed since the build)."""
    from api.loaders import open_classifier, open_encoder

    settings = get_settings()
    return open_classifier(settings, open_encoder(settings, lazy=True, quick_check=True), corpus=corpus)


def _render(pred: Prediction, name: str) -> str:
    flag = "  NEEDS REVIEW" + (f" ({pred.reason})" if pred.reason else "") if pred.needs_review else ""
    top = " | ".join(f"{c} {lab} {p:.2f}" for c, lab, p in pred.top3)
    return f"{pred.code} {pred.label} p={pred.probability:.2f}{flag}\t{name}\n    top-3: {top}"


def _read_items(path: Path) -> list[tuple[int, str, str | None, str | None]]:
    """(line number, name, value, level1) for every non-blank line: a name, or name<TAB>value<TAB>level1."""
    from indexer.errors import InvalidInputError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from exc
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = [f.strip() or None for f in line.split("\t")] + [None, None]
        items.append((number, fields[0] or "", fields[1], fields[2]))
    return items


def _spark_batch(
    engine: str,
    source: Path | None,
    out: Path | None,
    master: str | None,
    *,
    audit: bool,
    min_probability: float = 0.8,
) -> None:
    """``--engine spark``: tag (or audit) a Parquet corpus as a Spark job."""
    from classifier.spark import ModelSpec, classify_parquet
    from indexer.errors import InvalidInputError
    from indexer.spark_session import DEFAULT_MASTER, spark_session

    if engine != "spark":
        raise InvalidInputError(f"unknown engine {engine!r}: choose local or spark")
    if source is None or out is None:
        raise InvalidInputError("--engine spark needs --input PARQUET and --out PARQUET")
    settings = get_settings()
    spec = ModelSpec(
        model_dir=str(settings.classifier_dir.resolve()),
        encoder=settings.encoder,
        encoder_dir=str(settings.encoder_dir.resolve()),
        threshold=settings.review_threshold,
    )
    spark = spark_session(master or DEFAULT_MASTER, app_name="jixiao-classify")
    counts = classify_parquet(spark, source, out, spec, audit=audit, min_probability=min_probability)
    what = "worklist rows" if audit else "indicators tagged"
    typer.echo(
        f"{counts['rows']} {what} ({counts['needs_review']} need review, "
        f"{counts['errors']} unusable) -> {out}"
    )


def register(app: typer.Typer) -> None:
    """Add the classifier commands to the CLI."""

    @app.command("classify")
    def classify(
        name: Annotated[
            str | None, typer.Argument(help="Indicator name, e.g. 展会筹备工作按时完成率.")
        ] = None,
        value: Annotated[
            str | None, typer.Option("--value", help="Target value, e.g. ≥5家 or 年底前.")
        ] = None,
        level1: Annotated[
            str | None, typer.Option("--level1", help="Known level-1: 产出, 效益, 满意度 or 成本.")
        ] = None,
        framework: Annotated[
            str | None,
            typer.Option("--framework", help="The table's framework: pre2021 (成本 under 产出) or 2021."),
        ] = None,
        file: Annotated[
            Path | None,
            typer.Option("--file", help="One indicator per line, or name<TAB>value<TAB>level1 (TSV)."),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="JSON (one object per line for --file).")
        ] = False,
        engine: EngineOption = "local",
        source: InputOption = None,
        out: OutOption = None,
        master: MasterOption = None,
    ) -> None:
        """Tag indicators with their level-2 code (11…43), probability, top-3 and "needs review"."""
        from indexer.errors import InvalidInputError

        if engine != "local":
            _spark_batch(engine, source, out, master, audit=False)
            return

        if (name is None) == (file is None):
            raise InvalidInputError("give either an indicator NAME or --file F (not both)")
        model = _load_model()
        if file is None:
            pred = model.predict(name or "", value, level1, framework)
            typer.echo(
                json.dumps(pred.to_dict(), ensure_ascii=False) if as_json else _render(pred, name or "")
            )
            return
        items = _read_items(file)
        valid: list[tuple[int, str, str | None, str | None]] = []
        errors = 0
        results: dict[int, str] = {}
        for number, item_name, item_value, item_level1 in items:
            try:
                valid.append((number, *model.validate(item_name, item_value, item_level1)))
            except InvalidInputError as exc:
                errors += 1
                results[number] = (
                    json.dumps({"line": number, "error": str(exc)}, ensure_ascii=False)
                    if as_json
                    else f"line {number}: error: {exc}"
                )
        predictions = model.predict_many([(n, v, lvl, framework) for _, n, v, lvl in valid])
        for (number, item_name, _, _), pred in zip(valid, predictions, strict=True):
            results[number] = (
                json.dumps({"line": number, "name": item_name, **pred.to_dict()}, ensure_ascii=False)
                if as_json
                else _render(pred, item_name)
            )
        for number in sorted(results):
            typer.echo(results[number])
        if errors:
            typer.echo(f"{errors} of {len(items)} lines could not be classified", err=True)
            raise typer.Exit(1)

    @app.command("evaluate")
    def evaluate_cmd(
        as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    ) -> None:
        """Leave-one-district-out evaluation of the classifier against baselines (takes ~1-2 min)."""
        from api.loaders import load_corpus, open_encoder
        from classifier.evaluate import evaluate, format_report
        from classifier.textcache import shared_analysis

        settings = get_settings()
        with shared_analysis():  # the folds fit the same texts again and again: analyse each once
            report = evaluate(load_corpus(settings, required=False), open_encoder(settings))
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))

    @app.command("audit")
    def audit_cmd(
        as_json: Annotated[bool, typer.Option("--json", help="Print the worklists as JSON.")] = False,
        min_probability: Annotated[
            float, typer.Option("--min-probability", help="Report contradictions at least this confident.")
        ] = 0.8,
        engine: EngineOption = "local",
        source: InputOption = None,
        out: OutOption = None,
        master: MasterOption = None,
    ) -> None:
        """Filed codes the model contradicts (out of fold), and level-2 tags for level-1-only indicators."""
        if engine != "local":
            _spark_batch(engine, source, out, master, audit=True, min_probability=min_probability)
            return
        from api.loaders import load_corpus
        from classifier.audit import audit

        corpus = load_corpus(get_settings(), required=False)
        report = audit(corpus, _load_model(corpus), min_probability=min_probability)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
            return
        typer.echo(
            f"{len(report.contradictions)} of {report.n_checked} coded indicators contradicted with "
            f"probability ≥ {report.min_probability:.2f} (out-of-fold):"
        )
        for c in report.contradictions:
            typer.echo(
                f"  {c.indicator_id}  filed {c.filed_code} {c.filed_label} → {c.predicted_code} "
                f"{c.predicted_label} p={c.probability:.2f}  {c.district} {c.project_name}: {c.name}"
            )
        typer.echo(f"\n{len(report.level1_only)} level-1-only indicators tagged:")
        for t in report.level1_only:
            review = " NEEDS REVIEW" if t.prediction.needs_review else ""
            typer.echo(
                f"  {t.indicator_id}  {t.level1 or '?'} → {t.prediction.code} {t.prediction.label} "
                f"p={t.prediction.probability:.2f}{review}  {t.name}"
            )
