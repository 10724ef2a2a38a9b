// jixiao web page: hash routes, plain DOM, no innerHTML — every text goes through textContent.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const KIND_LABELS = { name: "项目名称", goal: "绩效目标", indicator: "绩效指标" };
  const EXAMPLES = ["帮中小企业解决融资难", "出口信用保险补贴", "跨境电商", "展会补贴", "口岸运行保障"];
  const cache = { stats: null, taxonomy: null };
  let renderToken = 0;

  // ---------- DOM helpers ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function view() {
    return document.getElementById("view");
  }

  function show(...nodes) {
    view().replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined));
  }

  function fmtAmount(value) {
    if (value === null || value === undefined) return "—";
    return Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " 万元";
  }

  function fmtPct(p) {
    return (100 * p).toFixed(1) + "%";
  }

  // Text with [start, end) spans wrapped in <mark>; spans are code-point offsets.
  function highlighted(text, spans) {
    const chars = Array.from(text || "");
    const out = [];
    let pos = 0;
    const sorted = (spans || []).slice().sort((a, b) => a.start - b.start);
    for (const span of sorted) {
      const start = Math.max(pos, Math.min(span.start, chars.length));
      const end = Math.max(start, Math.min(span.end, chars.length));
      if (start > pos) out.push(chars.slice(pos, start).join(""));
      if (end > start) out.push(el("mark", { text: chars.slice(start, end).join("") }));
      pos = Math.max(pos, end);
    }
    if (pos < chars.length) out.push(chars.slice(pos).join(""));
    return out;
  }

  // ---------- API ----------
  class ApiFailure extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || "请求失败（HTTP " + status + "）");
      this.status = status;
      this.code = err.code || "error";
    }
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ headers: { Accept: "application/json" } }, options));
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) throw new ApiFailure(response.status, body);
    return body;
  }

  function errorBox(err) {
    return el("div", { class: "error", role: "alert" }, el("strong", { text: "出错了：" }), err.message || String(err));
  }

  // One submit at a time: the button is off while `work` runs; its nodes (or the error) replace `output`.
  async function submitting(button, output, waitText, work) {
    button.disabled = true;
    output.replaceChildren(el("p", { class: "muted", text: waitText }));
    try {
      output.replaceChildren(...(await work()));
    } catch (err) {
      output.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  }

  async function loadStats() {
    if (!cache.stats) cache.stats = await api("/api/stats");
    return cache.stats;
  }

  async function loadTaxonomy() {
    if (!cache.taxonomy) cache.taxonomy = await api("/api/taxonomy");
    return cache.taxonomy;
  }

  // ---------- routing ----------
  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const [path, query] = raw.split("?");
    return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query || "") };
  }

  function go(path, params) {
    const query = params ? params.toString() : "";
    location.hash = "#" + path + (query ? "?" + query : "");
  }

  function setNav(name) {
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("active", link.dataset.nav === name);
    }
  }

  async function route() {
    const token = ++renderToken;
    const { parts, params } = parseHash();
    const current = () => token === renderToken;
    try {
      if (parts[0] === "project" && parts[1]) {
        setNav("search");
        await renderProject(parts[1], current);
      } else if (parts[0] === "upload" && window.jixiaoUpload) {
        setNav("upload");
        window.jixiaoUpload.render(current);
      } else if (parts[0] === "library") {
        setNav("library");
        await renderLibrary(params, current);
      } else if (window.jixiao.views[parts[0]]) {
        // Views of other scripts (tag.js: 自动标注, report.js: 复用报告, review.js: 审核, 推荐指标)
        // register themselves here.
        setNav(parts[0]);
        await window.jixiao.views[parts[0]](params, current);
      } else {
        setNav("search");
        await renderSearch(params, current);
      }
    } catch (err) {
      if (current()) show(errorBox(err));
    }
    window.scrollTo(0, 0);
  }

  // ---------- search ----------
  function option(value, label, selected) {
    return el("option", { value: value, selected: selected || null, text: label });
  }

  async function renderSearch(params, current) {
    const q = params.get("q") || "";
    const page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    const [stats, taxonomy] = await Promise.all([loadStats().catch(() => null), loadTaxonomy().catch(() => null)]);
    if (!current()) return;

    const input = el("input", {
      type: "search", name: "q", id: "q", value: q, maxlength: 200, required: true, autocomplete: "off",
      placeholder: "例如：帮中小企业解决融资难、出口信用保险补贴", "aria-label": "检索词",
    });
    const district = el("select", { name: "district", "aria-label": "区域" }, option("", "全部区域"),
      ((stats && stats.districts) || []).map((d) => option(d.name, d.name + "（" + d.projects + "）", d.name === params.get("district"))));
    const code = el("select", { name: "code", "aria-label": "指标代码" }, option("", "全部指标类别"),
      ((taxonomy && taxonomy.codes) || []).map((c) => option(c.code, c.code + " " + c.label, c.code === params.get("code"))));
    const regions = (stats && stats.regions) || [];
    const distinct = (values) => [...new Set(values.filter(Boolean))].sort();
    const year = el("select", { name: "year", "aria-label": "预算年度" }, option("", "全部年度"),
      ((stats && stats.years) || []).filter((y) => y.year).map((y) => option(String(y.year), y.year + " 年（" + y.projects + "）", String(y.year) === params.get("year"))));
    const province = el("select", { name: "province", "aria-label": "省份" }, option("", "全部省份"),
      distinct(regions.map((r) => r.province)).map((p) => option(p, p, p === params.get("province"))));
    const city = el("select", { name: "city", "aria-label": "城市" }, option("", "全部城市"),
      distinct(regions.map((r) => r.city)).map((c) => option(c, c, c === params.get("city"))));
    const minAmount = el("input", { type: "number", name: "min_amount", min: 0, step: "any", placeholder: "最低金额", value: params.get("min_amount") || "", "aria-label": "最低金额（万元）" });
    const maxAmount = el("input", { type: "number", name: "max_amount", min: 0, step: "any", placeholder: "最高金额", value: params.get("max_amount") || "", "aria-label": "最高金额（万元）" });

    const form = el("form", {
      class: "search-form", role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        for (const [key, field] of [["q", input], ["district", district], ["code", code], ["min_amount", minAmount], ["max_amount", maxAmount], ["year", year], ["province", province], ["city", city]]) {
          const value = field.value.trim();
          if (value) next.set(key, value);
        }
        go("/search", next);
      },
    },
      el("div", { class: "search-row" }, input, el("button", { type: "submit", class: "primary", text: "检索" })),
      el("div", { class: "filters" }, district, code, year, province, city,
        el("span", { class: "amount-range" }, minAmount, el("span", { text: "–" }), maxAmount, el("span", { class: "unit", text: "万元" }))));

    const results = el("section", { class: "results", id: "results" });
    show(form, results);
    if (!q) {
      input.focus();
      results.append(intro(stats));
      return;
    }
    results.append(el("p", { class: "muted", text: "检索中…" }));
    const query = new URLSearchParams();
    query.set("q", q);
    for (const key of ["district", "code", "min_amount", "max_amount", "year", "province", "city", "county"]) if (params.get(key)) query.set(key, params.get(key));
    query.set("limit", PAGE_SIZE);
    query.set("offset", (page - 1) * PAGE_SIZE);
    let data;
    try {
      data = await api("/api/search?" + query.toString());
    } catch (err) {
      if (current()) results.replaceChildren(errorBox(err));
      return;
    }
    if (!current()) return;
    const districts = new Set(data.hits.map((h) => h.district));
    results.replaceChildren(
      el("p", { class: "summary" }, "共 ", el("strong", { text: data.total }), " 个项目",
        data.hits.length ? "，本页来自 " + districts.size + " 个区域" : ""),
      data.hits.length ? el("ol", { class: "hits", start: data.offset + 1 }, data.hits.map(hitItem))
        : el("p", { class: "empty", text: "没有找到匹配的项目，换个说法试试。" }),
      pager(data, params) || "",
      data.hits.length && window.jixiao.exportButtons ? window.jixiao.exportButtons("检索结果",
        ["排名", "项目", "项目ID", "区域", "部门", "金额（万元）", "得分", "依据"],
        data.hits.map((h, i) => [data.offset + i + 1, h.project_name, h.project_id, h.district, h.department,
          h.amount_total, h.score, h.evidence ? h.evidence.text : ""])) : "");
  }

  function intro(stats) {
    if (!stats) return el("p", { class: "muted", text: "输入检索词，按回车。" });
    return el("div", { class: "intro" },
      el("p", {}, "已收录 ", el("strong", { text: stats.projects }), " 个项目、", el("strong", { text: stats.indicators }),
        " 条绩效指标，来自 ", el("strong", { text: stats.districts.length }), " 个区域。"),
      el("p", { class: "muted", text: stats.districts.map((d) => d.name + " " + d.projects + " 个").join(" · ") }),
      el("p", {}, "试试：", el("span", { class: "chips" }, EXAMPLES.map((q) =>
        el("a", { class: "chip", href: "#/search?q=" + encodeURIComponent(q), text: q })))));
  }

  // Search hits rank by BM25 and vectors; similar projects by indicator overlap and vectors.
  function scoreTitle(hit) {
    const s = hit.scores || {};
    return [
      "融合得分 " + (s.fused !== undefined ? s.fused.toFixed(4) : "—"),
      "BM25 排名 " + (s.bm25_rank || "未命中") + (s.bm25_score != null ? "（" + s.bm25_score.toFixed(2) + "）" : ""),
      "向量排名 " + (s.dense_rank || "未命中") + (s.dense_score != null ? "（" + s.dense_score.toFixed(3) + "）" : ""),
    ].join("\n");
  }

  function similarTitle(hit) {
    const s = hit.scores || {};
    return [
      "相似度 " + (s.combined !== undefined ? s.combined.toFixed(4) : "—"),
      "指标重合 排名 " + s.overlap_rank + "（" + s.overlap.toFixed(2) + "）",
      "向量排名 " + s.cosine_rank + "（" + s.cosine.toFixed(3) + "）",
    ].join("\n");
  }

  function evidenceBlock(evidence) {
    if (!evidence || !evidence.text) return null;
    let label = KIND_LABELS[evidence.kind] || evidence.kind;
    if (evidence.kind === "indicator" && evidence.level2_code) {
      label += " · " + evidence.level2_code + (evidence.level2_label ? " " + evidence.level2_label : "");
    }
    return el("p", { class: "evidence" }, el("span", { class: "tag", text: label }), " ", highlighted(evidence.text, evidence.highlights));
  }

  function projectItem(hit, title, ranks) {
    return el("li", { class: "hit", title: title },
      el("div", { class: "hit-head" },
        el("a", { class: "hit-title", href: "#/project/" + encodeURIComponent(hit.project_id), text: hit.project_name }),
        el("span", { class: "amount", text: fmtAmount(hit.amount_total) })),
      el("div", { class: "meta" }, el("span", { class: "district", text: hit.district }), el("span", { text: hit.department }),
        regionYear(hit), el("span", { class: "score", text: ranks })),
      evidenceBlock(hit.evidence));
  }

  // Province/city/county and budget year, when the project's table tells them.
  function regionYear(item) {
    const region = [item.province, item.city, item.county].filter(Boolean).join(" ");
    const text = [region, item.budget_year ? item.budget_year + " 年度" : ""].filter(Boolean).join(" · ");
    return text ? el("span", { class: "region", text: text }) : null;
  }

  function hitItem(hit) {
    const s = hit.scores || {};
    return projectItem(hit, scoreTitle(hit), "BM25 #" + (s.bm25_rank || "–") + " · 向量 #" + (s.dense_rank || "–"));
  }

  function similarItem(hit) {
    const s = hit.scores;
    return projectItem(hit, similarTitle(hit), "指标重合 #" + s.overlap_rank + " · 向量 #" + s.cosine_rank);
  }

  function pager(data, params) {
    const pages = Math.max(1, Math.ceil(data.total / data.limit));
    const page = Math.floor(data.offset / data.limit) + 1;
    if (pages <= 1) return null;
    const link = (n, text) => {
      const next = new URLSearchParams(params);
      next.set("page", n);
      return el("a", { class: "page-link", href: "#/search?" + next.toString(), text: text });
    };
    return el("nav", { class: "pager", "aria-label": "分页" },
      page > 1 ? link(page - 1, "‹ 上一页") : el("span", { class: "page-link disabled", text: "‹ 上一页" }),
      el("span", { class: "page-info", text: "第 " + page + " / " + pages + " 页" }),
      page < pages ? link(page + 1, "下一页 ›") : el("span", { class: "page-link disabled", text: "下一页 ›" }));
  }

  // ---------- project ----------
  async function renderProject(id, current) {
    show(el("p", { class: "muted", text: "加载中…" }));
    const [project, similar] = await Promise.all([
      api("/api/projects/" + encodeURIComponent(id)),
      api("/api/projects/" + encodeURIComponent(id) + "/similar?k=8").catch((err) => ({ error: err })),
    ]);
    if (!current()) return;
    const a = project.amounts;
    document.title = project.name + " · 绩效目标检索";
    show(
      el("p", { class: "back" }, el("a", { href: "#/", onclick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } }, text: "‹ 返回" })),
      el("article", { class: "project" },
        el("h1", { text: project.name }),
        el("div", { class: "meta" }, el("span", { class: "district", text: project.district }), el("span", { text: project.department }),
          regionYear(project), project.budget_unit ? el("span", { text: "资金使用单位：" + project.budget_unit }) : null),
        el("dl", { class: "amounts" },
          el("div", {}, el("dt", { text: "总计" }), el("dd", { text: fmtAmount(a.total) })),
          el("div", {}, el("dt", { text: "财政拨款" }), el("dd", { text: fmtAmount(a.fiscal) })),
          el("div", {}, el("dt", { text: "财政专户拨款" }), el("dd", { text: fmtAmount(a.special_account) })),
          el("div", {}, el("dt", { text: "其他资金" }), el("dd", { text: fmtAmount(a.other) }))),
        el("h2", { text: "绩效目标" }),
        el("p", { class: "goal", text: project.goal || "（无）" }),
        el("h2", { text: "绩效指标（" + project.indicators.length + "）" }),
        indicatorTable(project.indicators),
        el("p", { class: "source muted", text: "来源：" + project.source_file + " 第 " + project.source_line + " 行" })),
      el("section", { class: "similar" },
        el("h2", { text: "其他区域的相似项目" }),
        similar.error ? errorBox(similar.error)
          : similar.hits.length ? el("ol", { class: "hits" }, similar.hits.map(similarItem))
            : el("p", { class: "empty", text: "没有找到其他区域的相似项目。" })));
  }

  function indicatorTable(indicators) {
    if (!indicators.length) return el("p", { class: "empty", text: "无指标。" });
    return el("div", { class: "table-wrap" }, el("table", { class: "indicators" },
      el("thead", {}, el("tr", {}, ["#", "一级", "二级指标", "指标名称", "年度指标值", "实施周期指标值"].map((h) => el("th", { text: h })))),
      el("tbody", {}, indicators.map((i) => el("tr", {},
        el("td", { class: "num", text: i.ordinal }),
        el("td", { text: i.level1 || "未分类" }),
        el("td", {}, i.level2_code ? el("span", { class: "code", title: i.level2_label || "", text: i.level2_code }) : "—",
          i.level2_label ? " " + i.level2_label : ""),
        el("td", { text: i.name }),
        el("td", { text: i.annual_value || "—" }),
        el("td", { text: i.cycle_value || "—" }))))));
  }

  // ---------- tables shared by the views ----------
  function cell(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toFixed(3);
    if (typeof value === "boolean") return value ? "是" : "否";
    if (Array.isArray(value)) return value.length && typeof value[0] !== "object" ? value.join("、") : value.length + " 项";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function simpleTable(headers, rows) {
    return el("div", { class: "table-wrap" }, el("table", { class: "report" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => (c instanceof Node ? c : el("td", { text: cell(c) }))))))));
  }

  // ---------- indicator library ----------
  async function renderLibrary(params, current) {
    document.title = "指标库 · 绩效目标检索";
    const query = { q: params.get("q") || "", sector: params.get("sector") || "", code: params.get("code") || "" };
    const search = new URLSearchParams({ limit: "200" });
    for (const [k, v] of Object.entries(query)) if (v) search.set(k, v);
    const data = await api("/api/library?" + search.toString());
    if (!current()) return;
    const taxonomy = await loadTaxonomy().catch(() => null);
    const codes = ((taxonomy && taxonomy.codes) || []).map((c) => [c.code, c.code + " " + c.label]);
    const q = el("input", { type: "search", id: "library-q", value: query.q, placeholder: "指标名称关键词，如 成活率", "aria-label": "指标名称关键词" });
    const sector = el("select", { id: "library-sector", "aria-label": "行业" }, option("", "全部行业"),
      data.sectors.map((s) => option(s.sector, s.sector + "（" + s.count + "）", s.sector === query.sector)));
    const code = el("select", { id: "library-code", "aria-label": "二级指标" }, option("", "全部二级指标"),
      codes.map(([c, label]) => option(c, label, c === query.code)));
    const form = el("form", { class: "tag-form", onsubmit: (event) => {
      event.preventDefault();
      const next = new URLSearchParams();
      if (q.value.trim()) next.set("q", q.value.trim());
      if (sector.value) next.set("sector", sector.value);
      if (code.value) next.set("code", code.value);
      go("/library", next);
    } }, el("div", { class: "tag-actions" }, q, sector, code, el("button", { type: "submit", class: "primary", text: "查询" })));
    const rows = data.entries.map((e) => [e.code + " " + e.level2_label, e.sector, e.name, e.printed_value,
      e.url ? el("td", {}, el("a", { href: e.url, target: "_blank", rel: "noopener noreferrer", text: "来源" })) : "团队编写"]);
    show(el("h1", { text: "绩效指标库" }),
      el("p", { class: "muted", text: "按行业与二级指标浏览典型绩效指标及常用指标值；也是自动标注的训练数据。" }), form,
      el("p", { class: "muted", id: "library-total", text: "共 " + data.total + " 条" + (data.total > data.entries.length ? "，显示前 " + data.entries.length + " 条" : "") }),
      data.entries.length ? simpleTable(["二级指标", "行业", "指标名称", "典型指标值", "来源"], rows) : el("p", { class: "empty", text: "没有符合条件的指标。" }));
  }

  // ---------- health ----------
  async function checkHealth() {
    const badge = document.getElementById("health");
    try {
      const response = await fetch("/api/health", { headers: { Accept: "application/json" } });
      const body = await response.json();
      const ready = response.ok;
      badge.textContent = ready ? "● 就绪" : "● 未就绪";
      badge.className = "health " + (ready ? "ok" : "bad");
      badge.title = ready ? "全部模型已加载" : ((body.error && body.error.message) || "未就绪");
    } catch (_) {
      badge.textContent = "● 离线";
      badge.className = "health bad";
    }
  }

  // Shared with the other page scripts (loaded after this one, before DOMContentLoaded): one copy of each helper.
  window.jixiao = {
    el, show, api, errorBox, submitting, simpleTable, cell, option, loadStats, fmtAmount, fmtPct, regionYear,
    clearStats: () => { cache.stats = null; }, views: {},
  };

  window.addEventListener("hashchange", route);
  document.addEventListener("DOMContentLoaded", () => {
    route();
    checkHealth();
  });
})();
