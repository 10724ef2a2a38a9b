// jixiao web page, the 复用报告 view: the reuse report of /api/reports/reuse (reused goals,
// boilerplate indicators, clusters, themes) as tables. Plain DOM through app.js's helpers; no innerHTML.
"use strict";

(function () {
  const { el, show, api, cell, simpleTable, fmtAmount, fmtPct } = window.jixiao;

  function genericTable(rows, limit) {
    const columns = [];
    for (const row of rows.slice(0, 50)) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    return el("div", { class: "table-wrap" }, el("table", { class: "report" },
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, rows.slice(0, limit).map((row) => el("tr", {}, columns.map((c) => el("td", { text: cell(row[c]) })))))));
  }

  function reportSection(title, value) {
    const section = el("section", { class: "report-section" }, el("h2", { text: title }));
    if (Array.isArray(value)) {
      if (!value.length) section.append(el("p", { class: "empty", text: "（空）" }));
      else if (typeof value[0] === "object" && value[0] !== null) {
        section.append(genericTable(value, 100));
        if (value.length > 100) section.append(el("p", { class: "muted", text: "仅显示前 100 行，共 " + value.length + " 行。" }));
      } else section.append(el("p", { text: value.map(cell).join("、") }));
    } else if (value && typeof value === "object") {
      const entries = Object.entries(value);
      const nested = entries.filter(([, v]) => v && typeof v === "object");
      const flat = entries.filter(([, v]) => !(v && typeof v === "object"));
      if (flat.length) section.append(el("dl", { class: "kv" }, flat.map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: cell(v) })))));
      for (const [k, v] of nested) section.append(reportSection(k, v));
    } else {
      section.append(el("p", { text: cell(value) }));
    }
    return section;
  }

  function shareCell(share) {
    const bar = el("span", { class: "share" });
    bar.style.width = Math.round(60 * Math.max(0, Math.min(1, share || 0))) + "px";
    return el("td", { class: "pct" }, bar, fmtPct(share || 0));
  }

  function measureTable(rows, label) {
    return simpleTable([label, "项目数", "目标复用", "目标复用占比", "指标数", "套话指标", "套话指标占比"],
      rows.map((m) => [m.group, m.n_projects, m.n_goal_reused, shareCell(m.goal_reused_share), m.n_indicators,
        m.n_indicators_boilerplate, shareCell(m.boilerplate_indicator_share)]));
  }

  function diffText(member) {
    if (!member.diff || !member.diff.length) return [el("span", { class: "muted", text: "（与模板一致）" })];
    return member.diff.slice(0, 4).flatMap((d) => [
      d.shared ? el("span", { class: "diff-del", text: d.shared }) : null,
      d.member ? el("span", { class: "diff-ins", text: d.member }) : null, " "]);
  }

  function clusterList(clusters, limit) {
    return clusters.slice(0, limit).map((c) => el("details", { class: "cluster" },
      el("summary", {}, el("strong", { text: c.members.length + " 个 " }), c.exact ? "完全相同" : "近似重复",
        c.crosses_districts ? el("span", { class: "cross", text: " · 跨区域（" + c.districts.join("、") + "）" }) : " · " + c.districts.join("、"),
        el("div", { class: "muted", text: c.shared_text.length > 120 ? c.shared_text.slice(0, 120) + "…" : c.shared_text })),
      el("ul", {}, c.members.slice(0, 30).map((m) => el("li", {},
        el("a", { href: "#/project/" + encodeURIComponent(m.project_id), text: m.project_name }),
        " · " + m.district + " · " + fmtAmount(m.amount_total) + " · ", diffText(m))))));
  }

  const REUSE_SKIP = new Set(["schema_version", "encoder", "corpus_hash", "params", "map_points", "timings", "theme_k_scores"]);

  async function renderReuse(params, current) {
    document.title = "复用报告 · 绩效目标检索";
    show(el("h1", { text: "复用报告" }), el("p", { class: "muted", text: "首次生成需要几秒钟…" }));
    const data = await api("/api/reports/reuse");
    if (!current()) return;
    const s = data.summary || {};
    const parts = [el("h1", { text: "复用报告" }),
      el("p", { class: "muted", text: "跨项目、跨区域重复使用的绩效目标与指标。完整图表版：jixiao report。" })];
    if (data.summary) {
      parts.push(el("section", { class: "report-section" }, el("h2", { text: "概况" }), el("dl", { class: "kv" },
        [["项目", s.n_projects], ["指标", s.n_indicators], ["目标复用项目", s.n_projects_goal_reused],
          ["目标复用占比", s.goal_reused_share !== undefined ? fmtPct(s.goal_reused_share) : null],
          ["套话指标占比", s.boilerplate_indicator_share !== undefined ? fmtPct(s.boilerplate_indicator_share) : null],
          ["目标重复簇", s.n_goal_clusters], ["跨区域目标簇", s.n_goal_clusters_cross_district], ["指标集重复簇", s.n_set_clusters]]
          .filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: cell(v) }))))));
    }
    if (data.by_district) parts.push(el("section", { class: "report-section" }, el("h2", { text: "各区域套话比例" }), measureTable(data.by_district, "区域")));
    if (data.by_year && data.by_year.length) parts.push(el("section", { class: "report-section" }, el("h2", { text: "各预算年度套话比例" }), measureTable(data.by_year, "年度")));
    if (data.by_department) parts.push(el("section", { class: "report-section" }, el("h2", { text: "各部门套话比例" }), measureTable(data.by_department, "部门")));
    if (data.goal_clusters) parts.push(el("section", { class: "report-section" }, el("h2", { text: "重复的绩效目标（" + data.goal_clusters.length + " 簇）" }), clusterList(data.goal_clusters, 30)));
    if (data.set_clusters) parts.push(el("section", { class: "report-section" }, el("h2", { text: "原样重复的指标集（" + data.set_clusters.length + " 簇）" }), clusterList(data.set_clusters, 30)));
    if (data.top_names) {
      const headers = ["指标名称", "项目数", "指标数", "区域数", "部门数", "写法"];
      const rows = data.top_names.map((n) =>
        [n.name, n.n_projects, n.n_indicators, n.n_districts, n.n_departments, (n.variants || []).slice(0, 3).join(" / ")]);
      parts.push(el("section", { class: "report-section" }, el("h2", { text: "最常复用的指标名称" }),
        simpleTable(headers, rows), window.jixiao.exportButtons ? window.jixiao.exportButtons("复用指标清单", headers, rows) : null));
    }
    if (data.amount_only) {
      parts.push(el("section", { class: "report-section" }, el("h2", { text: "仅金额不同的项目（" + data.amount_only.length + " 组）" }),
        simpleTable(["组", "类型", "项目", "金额"], data.amount_only.map((g) => [g.id, g.kind === "amounts_only" ? "仅金额不同" : "仅数字不同",
          g.members.map((m) => m.project_name + "（" + m.district + "）").join("；"), (g.distinct_amounts || []).map(fmtAmount).join("、")]))));
    }
    if (data.themes) {
      parts.push(el("section", { class: "report-section" }, el("h2", { text: "主题" }),
        simpleTable(["主题", "关键词", "项目数", "金额", "示例项目"], data.themes.map((t) =>
          [t.label, (t.keywords || []).join("、"), t.n_projects, fmtAmount(t.amount_total), (t.example_projects || []).slice(0, 3).join("；")]))));
    }
    const known = new Set([...REUSE_SKIP, "summary", "by_district", "by_year", "by_department", "goal_clusters", "set_clusters", "name_clusters", "top_names", "amount_only", "themes", "theme_silhouette"]);
    for (const [key, value] of Object.entries(data || {})) if (!known.has(key)) parts.push(reportSection(key, value));
    show(parts);
  }

  window.jixiao.views.reuse = renderReuse;
})();
