// jixiao web page, drafting assistant: the 审核 view (findings with their evidence) and the
// 推荐指标 view (a proposed indicator set, copyable), plus .xlsx/.csv export buttons used by every
// view. Plain DOM through app.js's helpers; no innerHTML.
"use strict";

(function () {
  const { el, show, api, submitting, option, loadStats } = window.jixiao;
  const SEVERITY = { error: "错误", warning: "警告", info: "提示" };
  const EXAMPLE_DRAFT = {
    name: "跨境电商公共服务平台建设专项",
    goal: "支持跨境电商企业发展，扶持资金及时准确发放，提升扶持企业满意度。",
    district: "天河区",
    indicators: [
      { level1: "产出", code: "11", name: "扶持跨境电商企业数量", annual_value: "≥30家" },
      { level1: "产出", code: "12", name: "扶持资金发放正确率", annual_value: "准确无误" },
      { level1: "效益", code: "21", name: "带动跨境电商进出口额", annual_value: "≥5亿元" },
      { level1: "满意度", code: "31", name: "扶持企业满意度", annual_value: "≥60%" },
    ],
  };

  // ---------- export ----------
  async function download(path, fmt, body) {
    const response = await fetch(path + "?format=" + fmt, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      let message = "导出失败（HTTP " + response.status + "）";
      try {
        message = (await response.json()).error.message || message;
      } catch (_) { /* keep the status message */ }
      throw new Error(message);
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename\*=UTF-8''([^;]+)/.exec(disposition);
    const name = match ? decodeURIComponent(match[1]) : "jixiao." + fmt;
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name, class: "hidden-link" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function buttons(label, run) {
    const status = el("span", { class: "muted export-status", role: "status" });
    const make = (fmt) => el("button", {
      type: "button", class: "ghost", "data-export": fmt, text: "导出 " + fmt.toUpperCase(),
      onclick: async () => {
        status.textContent = "导出中…";
        try {
          await run(fmt);
          status.textContent = "已导出";
        } catch (err) {
          status.textContent = err.message || String(err);
        }
      },
    });
    return el("div", { class: "export", "aria-label": label }, make("xlsx"), make("csv"), status);
  }

  // Any table: rows of plain values, exported by the server (POST /api/export/table).
  window.jixiao.exportButtons = (title, headers, rows) =>
    buttons(title, (fmt) => download("/api/export/table", fmt, { title, headers, rows }));

  // ---------- 审核 ----------
  function peerLink(peer) {
    const label = [peer.district, peer.project_name].filter(Boolean).join(" · ");
    const value = peer.value ? "：" + (peer.indicator ? peer.indicator + " " : "") + peer.value : "";
    const inCorpus = peer.project_id && !String(peer.project_id).startsWith("draft-");
    return el("li", {}, inCorpus ? el("a", { href: "#/project/" + encodeURIComponent(peer.project_id), text: label }) : label, value);
  }

  function evidenceCell(finding) {
    const ev = finding.evidence || {};
    const details = el("details", { class: "evidence" }, el("summary", { text: "依据" }),
      el("p", { class: "muted", text: "规则：" + (ev.rule || "") }));
    const dist = ev.distribution;
    if (dist) {
      details.append(el("p", { text: "同类指标 " + dist.count + " 个：中位数 " + dist.median + (dist.unit || "") +
        "，四分位 " + dist.q1 + "–" + dist.q3 + (dist.unit || "") + "，范围 " + dist.min + "–" + dist.max }));
    }
    if (ev.top3) details.append(el("p", { text: "模型前三：" + ev.top3.map((c) => c.code + " " + Math.round(100 * c.probability) + "%").join("、") }));
    if (ev.sentence) details.append(el("p", { text: "目标句：" + ev.sentence }));
    if (ev.peers && ev.peers.length) details.append(el("ul", { class: "peers" }, ev.peers.map(peerLink)));
    return el("td", {}, details);
  }

  function findingsTable(project) {
    if (!project.findings.length) return el("p", { class: "ok-note", text: "未发现问题。" });
    return el("div", { class: "table-wrap" }, el("table", { class: "findings" },
      el("thead", {}, el("tr", {}, ["严重程度", "类型", "指标", "说明", "依据"].map((h) => el("th", { text: h })))),
      el("tbody", {}, project.findings.map((f) => el("tr", { class: "sev-" + f.severity, "data-kind": f.kind },
        el("td", {}, el("span", { class: "badge sev " + f.severity, text: SEVERITY[f.severity] || f.severity })),
        el("td", { text: f.label }),
        el("td", { text: f.ordinal === null ? "—" : "第 " + f.ordinal + " 项" }),
        el("td", { text: f.message }),
        evidenceCell(f))))));
  }

  function reviewResult(data) {
    const parts = [el("p", { class: "summary" }, data.file_name + "：" + data.n_projects + " 个项目，" + data.n_findings + " 条审核意见（" +
      (data.framework === "2021" ? "2021 年框架，含成本指标" : "成本指标不作要求") + "）")];
    for (const skipped of data.skipped) parts.push(el("p", { class: "muted", text: "未运行：" + skipped }));
    parts.push(buttons("导出审核意见", (fmt) => download("/api/export/review", fmt, data)));
    for (const project of data.projects) {
      const c = project.counts;
      parts.push(el("section", { class: "report-section review-project" },
        el("h2", { text: project.project_name }),
        el("p", { class: "muted", text: "错误 " + c.error + " · 警告 " + c.warning + " · 提示 " + c.info }),
        findingsTable(project)));
    }
    return parts;
  }

  function renderReview() {
    document.title = "审核 · 绩效目标检索";
    const area = el("textarea", { id: "review-input", rows: 10, spellcheck: "false", "aria-label": "待审核的绩效目标表",
      placeholder: "粘贴绩效目标表（制表符分隔的表格文本，或 JSON 项目），或选择文件上传" });
    const file = el("input", { type: "file", id: "review-file", "aria-label": "上传绩效目标表",
      accept: ".txt,.tsv,.csv,.json,.xlsx,.xls,.docx,.pdf,.html,.htm" });
    const year = el("input", { type: "number", id: "review-year", min: 2000, max: 2100, placeholder: "预算年度（可选）", "aria-label": "预算年度" });
    const output = el("section", { id: "review-results", class: "review-results" });
    const button = el("button", { type: "submit", class: "primary", text: "审核" });
    const form = el("form", {
      class: "tag-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const text = area.value.trim();
        const upload = file.files && file.files[0];
        if (!upload && !text) {
          output.replaceChildren(el("p", { class: "empty", text: "请粘贴表格或选择文件。" }));
          return;
        }
        const body = new FormData();
        const isJson = text.startsWith("{") || text.startsWith("[");
        body.append("file", upload || new Blob([text], { type: "text/plain" }), upload ? upload.name : (isJson ? "draft.json" : "draft.txt"));
        const query = year.value ? "?budget_year=" + encodeURIComponent(year.value) : "";
        await submitting(button, output, "审核中…",
          async () => reviewResult(await api("/api/review" + query, { method: "POST", body })));
      },
    },
      el("label", { for: "review-input", text: "草稿只在内存中解析，不会入库。每条意见都附规则和同类项目依据。" }),
      area,
      el("div", { class: "tag-actions" }, file, year,
        el("button", { type: "button", class: "ghost", text: "填入示例",
          onclick: () => { area.value = JSON.stringify(EXAMPLE_DRAFT, null, 2); file.value = ""; area.focus(); } }),
        button));
    show(el("h1", { text: "绩效目标审核" }), form, output);
    area.focus();
  }

  // ---------- 推荐指标 ----------
  const REC_HEADERS = ["一级指标", "二级指标", "指标名称", "参考值", "来源"];

  function recRows(data) {
    return data.proposals.map((p) => [p.level1 + "指标", p.code + " " + p.label, p.name, p.value || "",
      p.origin === "library" ? "指标库" : p.n_sources + " 个项目"]);
  }

  async function copyTable(rows) {
    const tsv = [REC_HEADERS, ...rows].map((r) => r.join("\t")).join("\n");
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(tsv);
      return;
    }
    const scratch = el("textarea", { class: "hidden-link" });
    scratch.value = tsv;
    document.body.append(scratch);
    scratch.select();
    document.execCommand("copy");
    scratch.remove();
  }

  function sourcesCell(p) {
    return el("td", {}, el("details", { class: "evidence" }, el("summary", { text: p.origin === "library" ? "指标库" : p.n_sources + " 个项目" }),
      el("ul", { class: "peers" }, p.sources.map((s) => s.library_id
        ? el("li", { text: "指标库 " + s.library_id + "（" + s.sector + "）" + (s.value ? "：" + s.value : "") })
        : peerLink(s)))));
  }

  function recommendResult(data) {
    const rows = recRows(data);
    const status = el("span", { class: "muted", role: "status" });
    const table = el("div", { class: "table-wrap" }, el("table", { class: "proposals", id: "proposal-table" },
      el("thead", {}, el("tr", {}, REC_HEADERS.map((h) => el("th", { text: h })))),
      el("tbody", {}, data.proposals.map((p, i) => el("tr", { "data-code": p.code },
        el("td", { text: rows[i][0] }), el("td", { text: rows[i][1] }), el("td", { text: p.name }),
        el("td", { text: p.value || "—" }), sourcesCell(p))))));
    return [
      el("p", { class: "summary", text: "参照 " + data.neighbours.length + " 个最相似项目：" +
        data.neighbours.slice(0, 5).map((n) => n.project_name + "（" + n.district + "）").join("、") }),
      el("div", { class: "export" },
        el("button", { type: "button", class: "ghost", id: "copy-table", text: "复制表格",
          onclick: async () => {
            try {
              await copyTable(rows);
              status.textContent = "已复制，可直接粘贴到 Excel / WPS";
            } catch (err) {
              status.textContent = "复制失败：" + (err.message || err);
            }
          } }), status),
      table,
      window.jixiao.exportButtons("推荐指标", REC_HEADERS, rows),
    ];
  }

  async function renderRecommend(params, current) {
    document.title = "推荐指标 · 绩效目标检索";
    const stats = await loadStats().catch(() => null);
    if (!current()) return;
    const name = el("input", { type: "text", id: "rec-name", maxlength: 200, required: true, placeholder: "项目名称，如：跨境电商公共服务平台建设", "aria-label": "项目名称" });
    const goal = el("textarea", { id: "rec-goal", rows: 4, maxlength: 2000, placeholder: "绩效目标（可选）", "aria-label": "绩效目标" });
    const district = el("select", { id: "rec-district", "aria-label": "区域" }, option("", "区域（可选）"),
      ((stats && stats.districts) || []).map((d) => option(d.name, d.name)));
    const framework = el("select", { id: "rec-framework", "aria-label": "指标框架" },
      option("pre2021", "成本指标不单列"), option("2021", "2021 年框架（含成本指标）"));
    const output = el("section", { id: "rec-results" });
    const button = el("button", { type: "submit", class: "primary", text: "推荐指标" });
    const form = el("form", {
      class: "tag-form",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!name.value.trim()) return;
        await submitting(button, output, "检索相似项目…", async () => {
          const body = { name: name.value.trim(), goal: goal.value.trim(), framework: framework.value };
          if (district.value) body.district = district.value;
          const data = await api("/api/recommend", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify(body) });
          return recommendResult(data);
        });
      },
    },
      el("label", { for: "rec-name", text: "输入新项目的名称和目标，按最相似项目实际使用的指标给出建议，每条都列出来源项目和取值。" }),
      name, goal, el("div", { class: "tag-actions" }, district, framework, button));
    show(el("h1", { text: "推荐指标" }), form, output);
    name.focus();
  }

  window.jixiao.views.review = renderReview;
  window.jixiao.views.recommend = renderRecommend;
})();
