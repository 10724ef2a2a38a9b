// jixiao web page: the upload view (#/upload). Drop a table file, see what would be read
// (POST /api/ingest?dry_run=true), then commit it (POST /api/ingest). The ingest token is
// the one the API asks for ('Authorization: Bearer …'); it is kept for this tab only.
"use strict";

(function () {
  const TOKEN_KEY = "jixiao.ingest-token";
  const MAX_INDICATORS_SHOWN = 40;

  let dryRunSupported = null;

  function ui() {
    return window.jixiao;
  }

  // A server without the dry-run parameter would ingest the "preview": ask its OpenAPI first.
  async function supportsDryRun() {
    if (dryRunSupported === null) {
      const spec = await ui().api("/openapi.json");
      const op = (spec.paths && spec.paths["/api/ingest"] && spec.paths["/api/ingest"].post) || {};
      dryRunSupported = (op.parameters || []).some((p) => p.name === "dry_run");
    }
    return dryRunSupported;
  }

  function post(path, file, token) {
    const body = new FormData();
    body.append("file", file, file.name);
    return ui().api(path, { method: "POST", body: body, headers: { Accept: "application/json", Authorization: "Bearer " + token } });
  }

  // The preview (indexer/preview.py): layout, score and reason, counts, and `items` — every project
  // with its region, year, amounts (万元, as strings) and indicators.
  function scoreText(preview) {
    return typeof preview.score === "number" ? preview.score.toFixed(2) : "–";
  }

  function indicatorRows(indicators) {
    const { el } = ui();
    const shown = indicators.slice(0, MAX_INDICATORS_SHOWN);
    const rows = shown.map((i) => el("tr", {},
      el("td", { text: i.level1 || "" }),
      el("td", { class: "code", text: i.level2_code || "–" }),
      el("td", { text: i.name || "" }),
      el("td", { text: i.annual_value || i.cycle_value || "" })));
    const more = indicators.length - shown.length;
    return [el("table", { class: "indicators preview-indicators" },
      el("thead", {}, el("tr", {}, ["一级", "代码", "指标", "指标值"].map((h) => el("th", { text: h })))),
      el("tbody", {}, rows)),
      more > 0 ? el("p", { class: "muted", text: "另有 " + more + " 条指标未列出。" }) : null];
  }

  function projectCard(project) {
    const { el, fmtAmount, regionYear } = ui();
    const amounts = project.amounts || {};
    const indicators = project.indicators || [];
    const coded = indicators.filter((i) => i.level2_code).length;
    return el("li", { class: "hit preview-project" },
      el("div", { class: "hit-head" },
        el("span", { class: "hit-title", text: project.name || "（无名称）" }),
        el("span", { class: "amount", text: fmtAmount(amounts.total) })),
      el("div", { class: "meta" },
        project.district ? el("span", { class: "district", text: project.district }) : null,
        el("span", { text: project.department || "" }),
        regionYear(project),
        amounts.printed_unit ? el("span", { text: "原表金额单位：" + amounts.printed_unit + "（已换算为万元）" }) : null,
        el("span", { class: "score", text: indicators.length + " 条指标，" + coded + " 条有代码" })),
      project.goal ? el("p", { class: "evidence", text: project.goal }) : null,
      indicators.length ? el("details", {}, el("summary", { text: "指标" }), indicatorRows(indicators)) : null);
  }

  function previewBlock(preview, onConfirm) {
    const { el } = ui();
    const projects = preview.items;
    const warnings = preview.warnings || [];
    return el("section", { class: "upload-preview" },
      el("p", { class: "summary" }, "文件 ", el("strong", { text: preview.file_name || "" }), "：版式 ",
        el("strong", { class: "layout", text: preview.layout || "?" }), "（得分 " + scoreText(preview) + "：" + (preview.reason || "") + "），",
        el("strong", { class: "n-projects", text: projects.length }), " 个项目，", el("strong", { text: preview.indicators }), " 条指标（",
        String(preview.coded_indicators), " 条有代码）。"),
      warnings.length ? el("ul", { class: "warnings" }, warnings.map((w) => el("li", { text: String(w) }))) : null,
      el("ol", { class: "hits" }, projects.map(projectCard)),
      el("div", { class: "upload-actions" },
        el("button", { type: "button", class: "primary", id: "upload-confirm", onclick: onConfirm, text: "确认入库" }),
        el("span", { class: "muted", text: "入库前不会写入任何内容。" })));
  }

  function render(current) {
    const { el, show, errorBox } = ui();
    const token = el("input", { type: "password", id: "upload-token", autocomplete: "off", placeholder: "入库令牌（JIXIAO_INGEST_TOKEN）", "aria-label": "入库令牌", value: sessionStorage.getItem(TOKEN_KEY) || "" });
    const input = el("input", { type: "file", id: "upload-file", accept: ".txt,.tsv,.csv,.xlsx,.xls,.docx,.html,.htm,.pdf", "aria-label": "选择文件" });
    const status = el("div", { class: "upload-status", "aria-live": "polite" });
    const zone = el("div", { class: "dropzone", id: "dropzone", tabindex: 0, role: "button", "aria-label": "拖放文件到这里，或点击选择文件" },
      el("strong", { text: "把绩效目标表拖到这里" }), el("span", { class: "muted", text: "或点击选择文件（.xlsx .xls .docx .html .pdf .txt .csv）" }));

    async function preview(file) {
      if (!current()) return;
      const secret = token.value.trim();
      if (!secret) {
        status.replaceChildren(errorBox(new Error("请先填写入库令牌。")));
        token.focus();
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, secret);
      status.replaceChildren(el("p", { class: "muted", text: "正在读取 " + file.name + " …" }));
      let data;
      try {
        if (!(await supportsDryRun())) throw new Error("此服务器不支持预览（POST /api/ingest?dry_run=true），未上传任何内容。");
        data = await post("/api/ingest?dry_run=true", file, secret);
      } catch (err) {
        if (current()) status.replaceChildren(errorBox(err));
        return;
      }
      if (!current()) return;
      if (!data || data.dry_run !== true || !Array.isArray(data.items)) {
        status.replaceChildren(errorBox(new Error("服务器未返回预览（不支持 dry_run）。")));
        return;
      }
      status.replaceChildren(previewBlock(data, async (event) => {
        event.target.disabled = true;
        try {
          const done = await post("/api/ingest", file, secret);
          ui().clearStats();
          status.replaceChildren(el("div", { class: "upload-done", role: "status" },
            el("p", {}, "已入库：", el("strong", { text: done.file_name }), "，新增 ", el("strong", { class: "added", text: done.added_projects }),
              " 个项目；语料共 " + done.projects + " 个项目、" + done.indicators + " 条指标（第 " + done.generation + " 版）。"),
            el("p", {}, el("a", { href: "#/", text: "去检索 ›" }))));
        } catch (err) {
          event.target.disabled = false;
          status.append(errorBox(err));
        }
      }));
    }

    input.addEventListener("change", () => { if (input.files && input.files[0]) preview(input.files[0]); });
    zone.addEventListener("click", () => input.click());
    zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) preview(file);
    });
    show(el("section", { class: "upload" },
      el("h1", { text: "上传绩效目标表" }),
      el("p", { class: "muted", text: "先预览读到的项目、指标、代码和金额，确认后再入库；读不了的文件会指出文件和位置。" }),
      el("label", { class: "token-label" }, "入库令牌 ", token),
      zone, input, status));
  }

  window.jixiaoUpload = { render: render };
})();
