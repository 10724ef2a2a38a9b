"""The reuse report as JSON-able data and as flat tables (one CSV per table)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from indexer.reuse.records import Cluster, DiffSpan, GroupMeasure, Member, ReuseReport

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cluster(c: Cluster, max_members: int | None) -> dict[str, Any]:
    shown = c.members if max_members is None else c.members[:max_members]
    listed = (f.name for f in dataclasses.fields(c) if f.name not in ("members", "size"))
    out = {name: _plain(getattr(c, name)) for name in listed}
    out["size"] = c.size
    out["members"] = [_plain(m) for m in shown]
    out["members_truncated"] = len(shown) < c.size
    return out


def _measure(m: GroupMeasure) -> dict[str, Any]:
    out = _plain(m)
    out["goal_reused_share"] = round(m.goal_reused_share, 4)
    out["boilerplate_indicator_share"] = round(m.boilerplate_indicator_share, 4)
    return out


def summary(report: ReuseReport) -> dict[str, Any]:
    """Headline numbers of the report."""
    # a project has one goal, so it is in at most one goal cluster
    reused_projects = sum(c.n_projects for c in report.goal_clusters)
    boiler = sum(m.n_indicators_boilerplate for m in report.by_district)
    return {
        "n_projects": report.n_projects,
        "n_indicators": report.n_indicators,
        "n_goal_clusters": len(report.goal_clusters),
        "n_goal_clusters_near": sum(not c.exact for c in report.goal_clusters),
        "n_goal_clusters_cross_district": sum(c.crosses_districts for c in report.goal_clusters),
        "n_projects_goal_reused": reused_projects,
        "goal_reused_share": round(reused_projects / report.n_projects, 4) if report.n_projects else 0.0,
        "n_name_clusters": len(report.name_clusters),
        "n_indicators_boilerplate": boiler,
        "boilerplate_indicator_share": round(boiler / report.n_indicators, 4) if report.n_indicators else 0.0,
        "n_set_clusters": len(report.set_clusters),
        "n_set_clusters_exact": sum(c.exact for c in report.set_clusters),
        "n_amount_only_groups": sum(g.kind == "amounts_only" for g in report.amount_only),
        "n_numbers_only_groups": sum(g.kind == "numbers_only" for g in report.amount_only),
        "n_themes": len(report.themes),
    }


def report_to_dict(report: ReuseReport) -> dict[str, Any]:
    """The whole report as JSON-able data (Decimal → float), for the API and ``report.json``.

    Each cluster lists at most ``params.json_max_members`` members, its first ones in report
    order; ``size`` counts them all and ``members_truncated`` says when more exist (the members
    files, :data:`MEMBER_TABLES`, list every member).
    """
    cap = report.params.json_max_members
    return {
        "schema_version": SCHEMA_VERSION,
        "encoder": report.encoder_name,
        "corpus_hash": report.corpus_hash,
        "params": _plain(report.params),
        "summary": summary(report),
        "goal_clusters": [_cluster(c, cap) for c in report.goal_clusters],
        "name_clusters": [_cluster(c, cap) for c in report.name_clusters],
        "set_clusters": [_cluster(c, cap) for c in report.set_clusters],
        "by_district": [_measure(m) for m in report.by_district],
        "by_department": [_measure(m) for m in report.by_department],
        "by_year": [_measure(m) for m in report.by_year],
        "top_names": _plain(report.top_names),
        "amount_only": _plain(report.amount_only),
        "themes": _plain(report.themes),
        "theme_silhouette": report.theme_silhouette,
        "theme_k_scores": [{"k": k, "silhouette": s} for k, s in report.theme_k_scores],
        "map_points": _plain(report.map_points),
        "timings": [{"step": s, "seconds": t} for s, t in report.timings],
    }


MEMBER_TABLES: dict[str, str] = {
    "goal": "goal_members",
    "indicator_name": "name_members",
    "indicator_set": "set_members",
}
"""The members file (``reuse_tables/<name>.csv``) of each cluster kind: one row per member."""

MEMBER_COLUMNS: tuple[str, ...] = (
    "cluster_id",
    "project_id",
    "project_name",
    "district",
    "department",
    "amount_total",
    "indicator_ordinal",
    "similarity",
    "text",
    "diff",
)
"""The columns of a members file, in order (both engines)."""


def diff_text(diff: tuple[DiffSpan, ...] | None) -> str:
    """A member's diff as the members file writes it."""
    if diff is None:
        return "(not computed)"
    return " | ".join(f"{d.op}: «{d.shared}» → «{d.member}»" for d in diff)


def member_values(
    cluster_id: str,
    project_id: str,
    project_name: str,
    district: str,
    department: str,
    amount_total: Decimal | None,
    indicator_ordinal: int | None,
    similarity: float,
    text: str,
    diff: str,
) -> list[Any]:
    """One row of a members file (:data:`MEMBER_COLUMNS`), ``diff`` as :func:`diff_text` gives it."""
    return [
        cluster_id,
        project_id,
        project_name,
        district,
        department,
        _plain(amount_total),
        indicator_ordinal,
        similarity,
        text,
        diff,
    ]


def _member_row(c: Cluster, m: Member) -> dict[str, Any]:
    values = member_values(
        c.id,
        m.project_id,
        m.project_name,
        m.district,
        m.department,
        m.amount_total,
        m.indicator_ordinal,
        m.similarity,
        m.text,
        diff_text(m.diff),
    )
    return dict(zip(MEMBER_COLUMNS, values, strict=True))


def tables(report: ReuseReport, members: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Every table of the report as rows of flat dicts (the CSV files); ``members=False`` leaves
    out the members files (:data:`MEMBER_TABLES`, written by the Spark engine's executors)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, clusters in (
        ("goal_clusters", report.goal_clusters),
        ("name_clusters", report.name_clusters),
        ("set_clusters", report.set_clusters),
    ):
        out[name] = [
            {
                "cluster_id": c.id,
                "exact": c.exact,
                "n_projects": c.n_projects,
                "size": c.size,
                "crosses_districts": c.crosses_districts,
                "districts": "、".join(c.districts),
                "min_similarity": c.min_similarity,
                "shared_text": c.shared_text,
            }
            for c in clusters
        ]
        if members:
            out[name.replace("clusters", "members")] = [
                _member_row(c, m) for c in clusters for m in c.members
            ]
    out["by_district"] = [_measure(m) for m in report.by_district]
    out["by_department"] = [_measure(m) for m in report.by_department]
    out["by_year"] = [_measure(m) for m in report.by_year]
    out["top_names"] = [{**_plain(n), "variants": " | ".join(n.variants)} for n in report.top_names]
    out["amount_only"] = [
        {
            "group_id": g.id,
            "kind": g.kind,
            "crosses_districts": g.crosses_districts,
            "project_id": m.project_id,
            "project_name": m.project_name,
            "district": m.district,
            "department": m.department,
            "amount_total": _plain(m.amount_total),
        }
        for g in report.amount_only
        for m in g.members
    ]
    out["themes"] = [
        {
            "theme": t.id,
            "label": t.label,
            "keywords": " ".join(t.keywords),
            "n_projects": t.n_projects,
            "amount_total": float(t.amount_total),
            "example_projects": " | ".join(t.example_projects),
        }
        for t in report.themes
    ]
    out["theme_map"] = [_plain(p) for p in report.map_points]
    return out
