// jixiao web page, the 自动标注 view: indicators pasted one per line, classified by /api/classify,
// shown with their confidence. Plain DOM through app.js's helpers; no innerHTML.
"use strict";

(function () {
  const { el, show, api, submitting, option, fmtPct } = window.jixiao;

  const TAG_EXAMPLE = "展会筹备工作按时完成率\t100%\n新增纳统企业数量\t≥5家\n服务对象满意度\t≥90%";

  function renderTag() {
    document.title = "自动标注 · 绩效目标检索";
    const area = el("textarea", { id: "tag-input", rows: 8, spellcheck: "false", placeholder: TAG_EXAMPLE, "aria-label": "待标注的指标" });
    const level1 = el("select", { id: "tag-level1", "aria-label": "一级指标" }, option("", "一级指标未知"),
      ["产出", "效益", "满意度", "成本"].map((l) => option(l, l + "指标")));
    const output = el("section", { id: "tag-results", class: "tag-results" });
    const button = el("button", { type: "submit", class: "primary", text: "自动标注" });
    const form = el("form", {
      class: "tag-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const items = area.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((line) => {
          const [name, value] = line.split("\t");
          const item = { name: name.trim() };
          if (value && value.trim()) item.value = value.trim();
          if (level1.value) item.level1 = level1.value;
          return item;
        });
        if (!items.length) {
          output.replaceChildren(el("p", { class: "empty", text: "请每行输入一条指标。" }));
          return;
        }
        await submitting(button, output, "标注中…", async () => {
          const data = await api("/api/classify", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: JSON.stringify({ items }) });
          return [predictionTable(data.predictions)];
        });
      },
    },
      el("label", { for: "tag-input", text: "每行一条指标；可在 Tab 后填写指标值（如“新增纳统企业数量⇥≥5家”）。" }),
      area,
      el("div", { class: "tag-actions" }, level1,
        el("button", { type: "button", class: "ghost", text: "填入示例", onclick: () => { area.value = TAG_EXAMPLE; area.focus(); } }),
        button));
    show(el("h1", { text: "指标自动标注" }), form, output);
    area.focus();
  }

  function confidenceBar(p, review) {
    const fill = el("div", { class: "conf-fill" });
    fill.style.width = Math.round(100 * Math.max(0, Math.min(1, p))) + "%"; // CSSOM: allowed by the CSP
    return el("div", { class: "conf" + (review ? " low" : ""), title: "置信度 " + fmtPct(p) },
      fill, el("span", { class: "conf-text", text: fmtPct(p) }));
  }

  function predictionTable(predictions) {
    return el("div", { class: "table-wrap" }, el("table", { class: "predictions" },
      el("thead", {}, el("tr", {}, ["指标", "代码", "类别", "置信度", "状态", "前三候选"].map((h) => el("th", { text: h })))),
      el("tbody", {}, predictions.map((p) => el("tr", { class: p.needs_review ? "review" : "" },
        el("td", { text: p.name }),
        el("td", {}, el("span", { class: "code", text: p.code })),
        el("td", { text: p.level1 + " · " + p.label }),
        el("td", {}, confidenceBar(p.probability, p.needs_review)),
        el("td", {}, p.needs_review ? el("span", { class: "badge warn", title: p.reason || "", text: "需人工复核" }) : el("span", { class: "badge ok", text: "可采用" })),
        el("td", { class: "top3" }, el("ol", {}, p.top3.map((c) => el("li", { text: c.code + " " + c.label + " " + fmtPct(c.probability) })))))))));
  }

  window.jixiao.views.tag = renderTag;
})();
