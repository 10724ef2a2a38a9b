"""``write_report``: a self-contained HTML reuse report plus CSV/JSON of every table.

Charts are plotly figures with plotly.js inlined once in the page (no CDN), so
the file opens offline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.errors import InvalidInputError
from indexer.reuse.records import Cluster, Member, ReuseReport
from indexer.reuse.rules import set_rule
from indexer.reuse.serialize import report_to_dict, summary, tables
from indexer.reuse.tablefiles import write_table

_MAX_CLUSTERS_SHOWN = 60
MEMBERS_SHOWN = 30
"""Members listed per cluster in the HTML page."""
_TOP_DEPARTMENTS = 25
_GROUP_KINDS = {"amounts_only": "文本相同、金额不同", "numbers_only": "仅数字不同"}

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
        return "<span class='muted'>未计算差异（簇过大）</span>"
    if not member.diff:
        return "<span class='muted'>完全相同</span>"
    parts = []
    for span in member.diff:
        if span.shared:
            parts.append(f"<del>{_e(span.shared)}</del>")
        if span.member:
            parts.append(f"<ins>{_e(span.member)}</ins>")
    return " … ".join(parts)


def _cluster_html(c: Cluster) -> str:
    badges = "<span class='badge'>完全重复</span>" if c.exact else "<span class='badge'>近似重复</span>"
    if c.crosses_districts:
        badges += "<span class='badge cross'>跨区域</span>"
    rows = []
    for m in c.members[:MEMBERS_SHOWN]:
        amount = "" if m.amount_total is None else f"{m.amount_total}"
        rows.append(
            f"<tr><td>{_e(m.district)}</td><td>{_e(m.department)}</td><td>{_e(m.project_name)}"
            f"<br><span class='muted'>{_e(m.project_id)}</span></td><td class='n'>{_e(amount)}</td>"
            f"<td class='n'>{m.similarity:.2f}</td><td>{_diff_html(m)}</td></tr>"
        )
    more = c.size - MEMBERS_SHOWN
    tail = f"<p class='muted'>… 另有 {more} 个成员（见 CSV）。</p>" if more > 0 else ""
    return (
        f"<details><summary><b>{_e(c.id)}</b> — {c.n_projects} 个项目，{len(c.districts)} 个区域"
        f"{badges}: {_e(c.shared_text[:80])}{'…' if len(c.shared_text) > 80 else ''}</summary>"
        f"<p class='shared'>{_e(c.shared_text)}</p>"
        "<table><thead><tr><th>区域</th><th>部门</th><th>项目</th><th>金额（万元）</th>"
        f"<th>相似度</th><th>与共同文本的差异</th></tr></thead><tbody>{''.join(rows)}"
        f"</tbody></table>{tail}</details>"
    )


def _summary_html(s: dict[str, Any]) -> str:
    cards = [
        (
            f"{s['goal_reused_share']:.0%}",
            f"的项目复用了绩效目标（{s['n_projects_goal_reused']} / {s['n_projects']}）",
        ),
        (
            str(s["n_goal_clusters"]),
            f"个目标文本簇，其中近似重复 {s['n_goal_clusters_near']} 个、"
            f"跨区域 {s['n_goal_clusters_cross_district']} 个",
        ),
        (
            f"{s['boilerplate_indicator_share']:.0%}",
            f"的指标为套用文本（{s['n_indicators_boilerplate']} / {s['n_indicators']}）",
        ),
        (str(s["n_set_clusters"]), f"组重复的指标集，其中原样照搬 {s['n_set_clusters_exact']} 组"),
        (
            str(s["n_amount_only_groups"] + s["n_numbers_only_groups"]),
            "组项目仅金额或数字不同",
        ),
        (str(s["n_themes"]), "个主题"),
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
        ("district", report.by_district, "各区域的套用比例"),
        ("department", report.by_department[:_TOP_DEPARTMENTS], "各部门的套用比例（项目最多的部门）"),
    ):
        groups = [m.group for m in measures]
        fig = go.Figure(
            [
                go.Bar(name="复用目标的项目", x=groups, y=[m.goal_reused_share for m in measures]),
                go.Bar(
                    name="套用的指标",
                    x=groups,
                    y=[m.boilerplate_indicator_share for m in measures],
                ),
                go.Bar(
                    name="指标集重复的项目",
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
        ("绩效目标", report.goal_clusters),
        ("指标集", report.set_clusters),
        ("指标名称", report.name_clusters),
    ):
        sizes.add_trace(go.Histogram(name=label, x=[c.n_projects for c in clusters], xbins={"size": 1}))
    sizes.update_layout(
        title="簇的规模（每簇项目数）",
        barmode="overlay",
        xaxis_title="项目数",
        yaxis_title="簇数",
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
    themes_fig.update_layout(title="项目主题分布（向量主成分二维投影）", height=560)
    return figs


def render_html(report: ReuseReport) -> str:
    """The report as one self-contained HTML page (plotly.js inlined)."""
    from plotly.offline import get_plotlyjs

    headline = summary(report)
    rows = tables(report, members=False)
    figs = {
        key: fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{key}")
        for key, fig in figures(report).items()
    }
    p = report.params
    thresholds = [
        {
            "what": "绩效目标近似重复",
            "rule": f"{p.goal_shingle} 字片段的 Jaccard ≥ {p.goal_jaccard}，"
            f"或包含度 ≥ {p.containment}（较短目标 ≥ {p.min_containment_shingles} 个片段，且长度 "
            f"≥ 较长者的 {p.min_length_ratio:.0%}）；"
            f"少于 {p.min_goal_chars} 字的目标不计",
        },
        {
            "what": "指标名称近似重复",
            "rule": f"{p.name_shingle} 字片段的 Jaccard ≥ {p.name_jaccard}；"
            f"少于 {p.min_name_chars} 字的名称只做完全匹配",
        },
        {
            "what": "指标集近似重复",
            "rule": f"规范化名称集合的 Jaccard ≥ {p.set_jaccard}（≥ {p.min_set_size} 条指标的集合）",
        },
        {
            "what": "候选对",
            "rule": f"MinHash {p.num_perm} 个排列，LSH 分带阈值 "
            f"{p.lsh_threshold}（指标集 {set_rule(p).banding.threshold}，桶内各集合只与桶中第一个比较）；"
            "每个候选对都逐一精确核验；簇 = 连通分量",
        },
        {
            "what": "主题",
            "rule": f"{report.encoder_name} 向量上的 KMeans，k 取 {p.theme_k_min}..{p.theme_k_max} "
            f"中轮廓系数最高者（{report.theme_silhouette}）；标签 = c-TF-IDF 权重最高的 jieba 词",
        },
    ]
    measure_cols = [
        ("group", "分组"),
        ("n_projects", "项目数"),
        ("n_goal_reused", "复用目标"),
        ("goal_reused_share", "占比"),
        ("n_goal_reused_cross_district", "跨区域复用"),
        ("n_indicators", "指标数"),
        ("n_indicators_boilerplate", "套用指标"),
        ("boilerplate_indicator_share", "占比"),
        ("n_set_repeated", "指标集重复"),
    ]
    amount_groups = []
    for g in report.amount_only[:_MAX_CLUSTERS_SHOWN]:
        names = "、".join(dict.fromkeys(m.project_name for m in g.members))
        amounts = ", ".join("—" if a is None else str(a) for a in g.distinct_amounts)
        amount_groups.append(
            {
                "group_id": g.id,
                "kind": _GROUP_KINDS.get(g.kind, g.kind),
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
        tail = f"<p class='muted'>另有 {more} 个簇见 CSV/JSON。</p>" if more > 0 else ""
        return f"<p>{what}共 {len(clusters)} 个簇。</p>{shown}{tail}"

    body = f"""
<h1>绩效目标复用（套用）报告</h1>
<p class="muted">{report.n_projects} 个项目，{report.n_indicators} 条指标 · 编码器 {_e(report.encoder_name)}
 · 语料 {_e(report.corpus_hash[:12])}</p>
<section id="summary">{_summary_html(headline)}</section>
<h2 id="districts">按区域</h2>{figs["district"]}{_table(rows["by_district"], measure_cols)}
<h2 id="years">按预算年度</h2>{_table(rows["by_year"], measure_cols)}
<h2 id="departments">按部门</h2>{figs["department"]}{_table(rows["by_department"], measure_cols)}
<h2 id="sizes">簇的规模</h2>{figs["sizes"]}
<h2 id="goals">复制的绩效目标</h2>{clusters_section(report.goal_clusters, "绩效目标文本")}
<h2 id="sets">重复的指标集</h2>{clusters_section(report.set_clusters, "指标集")}
<h2 id="names">复用最多的指标名称</h2>{
        _table(
            rows["top_names"],
            [
                ("name", "指标名称"),
                ("n_projects", "项目数"),
                ("n_indicators", "指标数"),
                ("n_districts", "区域数"),
                ("n_departments", "部门数"),
                ("variants", "写法变体"),
            ],
        )
    }
<h2 id="amounts">仅金额不同的项目</h2>{
        _table(
            amount_groups,
            [
                ("group_id", "组"),
                ("kind", "类型"),
                ("projects", "项目数"),
                ("names", "项目名称"),
                ("districts", "区域"),
                ("amounts (万元)", "金额（万元）"),
                ("goal", "绩效目标"),
            ],
        )
    }
<h2 id="themes">主题</h2>{figs["map"]}{
        _table(
            rows["themes"],
            [
                ("theme", "主题"),
                ("label", "标签"),
                ("keywords", "关键词"),
                ("n_projects", "项目数"),
                ("amount_total", "金额（万元）"),
                ("example_projects", "示例项目"),
            ],
        )
    }
<p class="muted">各 k 的轮廓系数：{_e(", ".join(f"k={k}: {s}" for k, s in report.theme_k_scores))}</p>
<h2 id="thresholds">判定阈值</h2>{_table(thresholds, [("what", "对象"), ("rule", "规则")])}
<h2 id="timings">耗时</h2>{
        _table([{"step": s, "seconds": t} for s, t in report.timings], [("step", "步骤"), ("seconds", "秒")])
    }
"""
    return (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        "<title>jixiao — 绩效目标复用报告</title>"
        f"<style>{_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
        f"<body>{body}</body></html>"
    )


def write_report(report: ReuseReport, out_dir: Path, members: Callable[[Path], None] | None = None) -> Path:
    """Write ``reuse.html``, ``reuse.json`` and one CSV per table into ``out_dir``; return the HTML path.

    The members files (``reuse_tables/*_members.csv``, every member of every cluster) come from
    the report's clusters, or, when ``members`` is given, from ``members(tables_dir)`` (the Spark
    engine writes them from its executors; its report lists only each cluster's first members).
    """
    out_dir = Path(out_dir)
    data_dir = out_dir / "reuse_tables"
    data_dir.mkdir(parents=True, exist_ok=True)
    if members is None and not all(c.complete for c in _all_clusters(report)):
        raise InvalidInputError(
            "the report lists only the first members of some clusters: write it with its engine"
        )
    for name, rows in tables(report, members=members is None).items():
        write_table(data_dir / f"{name}.csv", rows)
    if members is not None:
        members(data_dir)
    with (out_dir / "reuse.json").open("w", encoding="utf-8") as fh:  # streamed: no copy as one string
        json.dump(report_to_dict(report), fh, ensure_ascii=False, indent=1)
    html_path = out_dir / "reuse.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    return html_path


def _all_clusters(report: ReuseReport) -> tuple[Cluster, ...]:
    return report.goal_clusters + report.name_clusters + report.set_clusters
