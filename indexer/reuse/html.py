"""``write_report``: a self-contained HTML reuse report plus CSV/JSON of every table.

Charts are plotly figures with plotly.js inlined once in the page (no CDN), so
the file opens offline.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any

from indexer.reuse import serialize
from indexer.reuse.records import Cluster, Member, ReuseReport

_MAX_CLUSTERS_SHOWN = 60
_MAX_MEMBERS_SHOWN = 30
_TOP_DEPARTMENTS = 25

_CSS = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;
 margin:2rem;max-width:1200px;color:#222}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.4rem 0;border:1px solid #e3e3e3;border-radius:4px;padding:.3rem .6rem}
summary{cursor:pointer}del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.shared{background:#f7f7f7;padding:.4rem;border-left:3px solid #888}.muted{color:#777}
.badge{display:inline-block;padding:0 .4rem;border-radius:3px;background:#eee;
 font-size:.8rem;margin-left:.3rem}
.cross{background:#fde2c8}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:.6rem;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem}.card b{font-size:1.6rem;display:block}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{_e(label)}</th>" for _, label in columns)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = f"{value:.1%}" if key.endswith("share") and numeric else value
            cells.append(f"<td class='n'>{_e(text)}</td>" if numeric else f"<td>{_e(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _diff_html(member: Member) -> str:
    if member.diff is None:
        return "<span class='muted'>diff not computed (large cluster)</span>"
    if not member.diff:
        return "<span class='muted'>identical</span>"
    parts = []
    for span in member.diff:
        if span.shared:
            parts.append(f"<del>{_e(span.shared)}</del>")
        if span.member:
            parts.append(f"<ins>{_e(span.member)}</ins>")
    return " … ".join(parts)


def _cluster_html(c: Cluster) -> str:
    badges = "<span class='badge'>exact</span>" if c.exact else "<span class='badge'>near</span>"
    if c.crosses_districts:
        badges += "<span class='badge cross'>crosses districts</span>"
    rows = []
    for m in c.members[:_MAX_MEMBERS_SHOWN]:
        amount = "" if m.amount_total is None else f"{m.amount_total}"
        rows.append(
            f"<tr><td>{_e(m.district)}</td><td>{_e(m.department)}</td><td>{_e(m.project_name)}"
            f"<br><span class='muted'>{_e(m.project_id)}</span></td><td class='n'>{_e(amount)}</td>"
            f"<td class='n'>{m.similarity:.2f}</td><td>{_diff_html(m)}</td></tr>"
        )
    more = len(c.members) - _MAX_MEMBERS_SHOWN
    tail = f"<p class='muted'>… and {more} more members (see the CSV).</p>" if more > 0 else ""
    return (
        f"<details><summary><b>{_e(c.id)}</b> — {c.n_projects} projects, {len(c.districts)} district(s)"
        f"{badges}: {_e(c.shared_text[:80])}{'…' if len(c.shared_text) > 80 else ''}</summary>"
        f"<p class='shared'>{_e(c.shared_text)}</p>"
        "<table><thead><tr><th>district</th><th>department</th><th>project</th><th>amount (万元)</th>"
        f"<th>similarity</th><th>differs from the shared text</th></tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table>{tail}</details>"
    )


def _summary_html(s: dict[str, Any]) -> str:
    cards = [
        (
            f"{s['goal_reused_share']:.0%}",
            f"of projects reuse a goal ({s['n_projects_goal_reused']} of {s['n_projects']})",
        ),
        (
            str(s["n_goal_clusters"]),
            f"goal clusters, {s['n_goal_clusters_near']} near-duplicate, "
            f"{s['n_goal_clusters_cross_district']} across districts",
        ),
        (
            f"{s['boilerplate_indicator_share']:.0%}",
            f"of indicators are boilerplate ({s['n_indicators_boilerplate']} of {s['n_indicators']})",
        ),
        (str(s["n_set_clusters"]), f"repeated indicator sets, {s['n_set_clusters_exact']} unchanged"),
        (
            str(s["n_amount_only_groups"] + s["n_numbers_only_groups"]),
            "groups differing only in amounts/numbers",
        ),
        (str(s["n_themes"]), "themes"),
    ]
    return (
        "<div class='cards'>"
        + "".join(f"<div class='card'><b>{_e(big)}</b><span>{_e(text)}</span></div>" for big, text in cards)
        + "</div>"
    )


def figures(report: ReuseReport) -> dict[str, Any]:
    """The report's plotly figures: ``district``, ``department``, ``sizes`` (cluster sizes) and ``map``."""
    import plotly.graph_objects as go

    def div(fig: Any, div_id: str) -> Any:
        fig.update_layout(margin={"l": 40, "r": 20, "t": 50, "b": 40}, height=420, template="plotly_white")
        return fig

    figs: dict[str, Any] = {}
    for key, measures, title in (
        ("district", report.by_district, "Boilerplate per district"),
        ("department", report.by_department[:_TOP_DEPARTMENTS], "Boilerplate per department (largest)"),
    ):
        groups = [m.group for m in measures]
        fig = go.Figure(
            [
                go.Bar(
                    name="projects with a reused goal", x=groups, y=[m.goal_reused_share for m in measures]
                ),
                go.Bar(
                    name="boilerplate indicators",
                    x=groups,
                    y=[m.boilerplate_indicator_share for m in measures],
                ),
                go.Bar(
                    name="projects with a repeated indicator set",
                    x=groups,
                    y=[m.n_set_repeated / m.n_projects if m.n_projects else 0 for m in measures],
                ),
            ]
        )
        fig.update_layout(title=title, barmode="group", yaxis={"tickformat": ".0%", "range": [0, 1]})
        fig.update_xaxes(automargin=True, tickangle=-30 if key == "department" else 0)
        figs[key] = div(fig, key)

    sizes = go.Figure()
    for label, clusters in (
        ("goal", report.goal_clusters),
        ("indicator set", report.set_clusters),
        ("indicator name", report.name_clusters),
    ):
        sizes.add_trace(go.Histogram(name=label, x=[c.n_projects for c in clusters], xbins={"size": 1}))
    sizes.update_layout(
        title="Cluster sizes (projects per cluster)",
        barmode="overlay",
        xaxis_title="projects",
        yaxis_title="clusters",
    )
    sizes.update_traces(opacity=0.65)
    figs["sizes"] = div(sizes, "sizes")

    label_of = {t.id: f"{t.id}: {t.label}" for t in report.themes}
    themes_fig = go.Figure()
    for theme in report.themes:
        pts = [p for p in report.map_points if p.theme == theme.id]
        themes_fig.add_trace(
            go.Scattergl(
                name=label_of[theme.id],
                x=[p.x for p in pts],
                y=[p.y for p in pts],
                mode="markers",
                text=[f"{p.project_name}<br>{p.district}" for p in pts],
                hoverinfo="text+name",
                marker={"size": 7, "opacity": 0.75},
            )
        )
    figs["map"] = div(themes_fig, "map")
    themes_fig.update_layout(title="Projects by theme (PCA of embeddings)", height=560)
    return figs


def render_html(report: ReuseReport) -> str:
    """The report as one self-contained HTML page (plotly.js inlined)."""
    from plotly.offline import get_plotlyjs

    summary = serialize.summary(report)
    tables = serialize.tables(report)
    figs = {
        key: fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}")
        for key, fig in figures(report).items()
    }
    p = report.params
    thresholds = [
        {
            "what": "goal near-duplicate",
            "rule": f"Jaccard ≥ {p.goal_jaccard} on {p.goal_shingle}-char shingles, "
            f"or containment ≥ {p.containment} (shorter goal ≥ {p.min_containment_shingles} shingles and "
            f"≥ {p.min_length_ratio:.0%} of the longer); "
            f"goals under {p.min_goal_chars} chars ignored",
        },
        {
            "what": "indicator-name near-duplicate",
            "rule": f"Jaccard ≥ {p.name_jaccard} on {p.name_shingle}-char "
            f"shingles; names under {p.min_name_chars} chars match only exactly",
        },
        {
            "what": "indicator-set near-duplicate",
            "rule": f"Jaccard ≥ {p.set_jaccard} over normalised names "
            f"(sets of ≥ {p.min_set_size} indicators)",
        },
        {
            "what": "candidates",
            "rule": f"MinHash {p.num_perm} permutations, LSH bands for threshold "
            f"{p.lsh_threshold}; every candidate verified exactly; clusters = connected components",
        },
        {
            "what": "themes",
            "rule": f"KMeans on {report.encoder_name} embeddings, k in {p.theme_k_min}..{p.theme_k_max} "
            f"by silhouette (chosen {report.theme_silhouette}); labels = top c-TF-IDF jieba words",
        },
    ]
    measure_cols = [
        ("group", "group"),
        ("n_projects", "projects"),
        ("n_goal_reused", "goal reused"),
        ("goal_reused_share", "share"),
        ("n_goal_reused_cross_district", "reused across districts"),
        ("n_indicators", "indicators"),
        ("n_indicators_boilerplate", "boilerplate"),
        ("boilerplate_indicator_share", "share"),
        ("n_set_repeated", "set repeated"),
    ]
    amount_groups = []
    for g in report.amount_only[:_MAX_CLUSTERS_SHOWN]:
        names = "、".join(dict.fromkeys(m.project_name for m in g.members))
        amounts = ", ".join("—" if a is None else str(a) for a in g.distinct_amounts)
        amount_groups.append(
            {
                "group_id": g.id,
                "kind": g.kind,
                "projects": len(g.members),
                "names": names,
                "districts": "、".join(sorted({m.district for m in g.members})),
                "amounts (万元)": amounts,
                "goal": g.members[0].text,
            }
        )

    def clusters_section(clusters: tuple[Cluster, ...], what: str) -> str:
        shown = "".join(_cluster_html(c) for c in clusters[:_MAX_CLUSTERS_SHOWN])
        more = len(clusters) - _MAX_CLUSTERS_SHOWN
        tail = f"<p class='muted'>{more} more clusters in the CSV/JSON.</p>" if more > 0 else ""
        return f"<p>{len(clusters)} clusters of {what}.</p>{shown}{tail}"

    body = f"""
<h1>Boilerplate reuse report</h1>
<p class="muted">{report.n_projects} projects, {report.n_indicators} indicators · encoder {
        _e(report.encoder_name)
    }
 · corpus {_e(report.corpus_hash[:12])}</p>
<section id="summary">{_summary_html(summary)}</section>
<h2 id="districts">Per district</h2>{figs["district"]}{_table(tables["by_district"], measure_cols)}
<h2 id="departments">Per department</h2>{figs["department"]}{_table(tables["by_department"], measure_cols)}
<h2 id="sizes">Cluster sizes</h2>{figs["sizes"]}
<h2 id="goals">Copied goal texts</h2>{clusters_section(report.goal_clusters, "goal texts")}
<h2 id="sets">Indicator sets repeated</h2>{clusters_section(report.set_clusters, "indicator sets")}
<h2 id="names">Most reused indicator names</h2>{
        _table(
            tables["top_names"],
            [
                ("name", "name"),
                ("n_projects", "projects"),
                ("n_indicators", "indicators"),
                ("n_districts", "districts"),
                ("n_departments", "departments"),
                ("variants", "variants"),
            ],
        )
    }
<h2 id="amounts">Projects differing only in amounts</h2>{
        _table(
            amount_groups,
            [
                ("group_id", "group"),
                ("kind", "kind"),
                ("projects", "projects"),
                ("names", "names"),
                ("districts", "districts"),
                ("amounts (万元)", "amounts (万元)"),
                ("goal", "goal"),
            ],
        )
    }
<h2 id="themes">Themes</h2>{figs["map"]}{
        _table(
            tables["themes"],
            [
                ("theme", "theme"),
                ("label", "label"),
                ("keywords", "keywords"),
                ("n_projects", "projects"),
                ("amount_total", "amount (万元)"),
                ("example_projects", "examples"),
            ],
        )
    }
<p class="muted">Silhouette by k: {_e(", ".join(f"k={k}: {s}" for k, s in report.theme_k_scores))}</p>
<h2 id="thresholds">Thresholds</h2>{_table(thresholds, [("what", "what"), ("rule", "rule")])}
<h2 id="timings">Timings</h2>{
        _table(
            [{"step": s, "seconds": t} for s, t in report.timings], [("step", "step"), ("seconds", "seconds")]
        )
    }
"""
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>jixiao — reuse report</title>"
        f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body>{body}</body></html>"
    )


def write_report(report: ReuseReport, out_dir: Path) -> Path:
    """Write ``reuse.html``, ``reuse.json`` and one CSV per table into ``out_dir``; return the HTML path."""
    out_dir = Path(out_dir)
    data_dir = out_dir / "reuse_tables"
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, rows in serialize.tables(report).items():
        path = data_dir / f"{name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            if not rows:
                fh.write("")
                continue
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    (out_dir / "reuse.json").write_text(
        json.dumps(serialize.report_to_dict(report), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    html_path = out_dir / "reuse.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    return html_path
