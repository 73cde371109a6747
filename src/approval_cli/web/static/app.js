// The page of `approval serve`. Every answer comes from the app's own /api/ (the same documents as
// `approval <command> --json`). The DOM is built with createElement and textContent only: catalogue
// strings are never parsed as HTML.
"use strict";

(function () {
  const ROLE_ALIAS = { "處長": "秘書長", "副處長": "副秘書長" };
  const DEBOUNCE_MS = 250;
  let sequence = 0; // answers to an older keystroke are dropped
  let timer = null;
  let knownUnits = [];

  // ------------------------------------------------------------------ helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Append children, skipping the absent ones (Element.append would write "null").
  function add(node, ...children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false || child === "") continue;
      node.append(child);
    }
  }

  function $(id) {
    return document.getElementById(id);
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function role(name) {
    if (name === null || name === undefined) return "（表頭未列職稱）";
    const alias = ROLE_ALIAS[name];
    return alias ? `${name}（${alias}）` : name;
  }

  function tableLabel(table) {
    return table === "機關共同乙" ? table : `${table}表`;
  }

  function task(entry) {
    return entry.content + (entry.business ? `／${entry.business}` : "");
  }

  function chainText(chain) {
    return (chain || [])
      .map((step) => (step.action === "核定" ? `${role(step.role)}（核定）` : role(step.role)))
      .join(" → ");
  }

  async function api(path, params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) if (value) query.set(key, value);
    const url = query.toString() ? `${path}?${query}` : path;
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const type = response.headers.get("content-type") || "";
    const body = type.includes("application/json") ? await response.json() : await response.text();
    return { status: response.status, body };
  }

  function problem(container, body) {
    add(container, 
      el("div", { class: "problem", role: "alert" },
        el("p", { class: "message" }, body && body.error ? body.error : "查詢失敗，請稍後再試。"),
        body && body.hint ? el("p", { class: "hint" }, body.hint) : null)
    );
  }

  function warningsList(warnings) {
    if (!warnings || !warnings.length) return null;
    return el("ul", { class: "warnings" },
      warnings.map((w) =>
        el("li", { class: w.severity === "notice" ? "notice" : "warning" },
          `${w.severity === "notice" ? "ⓘ 說明" : "⚠ 注意"}：${w.message}`)));
  }

  function basis(source, match) {
    if (!source) return null;
    const refs = source.references || {};
    const parts = [];
    if (source.effective_date_roc) parts.push(`民國 ${source.effective_date_roc} 生效`);
    for (const [label, text] of Object.entries(refs)) parts.push(`${label} ${text}`);
    const where = match ? `；${tableLabel(match.table)}，原表第 ${match.source_line} 行` : "";
    return el("p", { class: "basis" },
      `依據：${source.title || "分層負責明細表"}（${parts.join("；")}）${where}`);
  }

  // A row in a list (find results, choices, nearest rows, references): who decides, and the chain.
  function entryCard(entry, extra) {
    const final = entry.final_approver ? role(entry.final_approver) : "原表未標示核定者";
    return el("li", { class: "entry", "data-id": entry.id },
      el("p", { class: "entry-head" },
        el("span", { class: "id" }, entry.id),
        ` ${entry.unit}｜${tableLabel(entry.table)}｜原表第 ${entry.source_line} 行`),
      el("p", { class: "entry-task" }, task(entry)),
      el("p", { class: "entry-final" }, "決行 ", el("strong", {}, final)),
      el("p", { class: "entry-chain" }, chainText(entry.chain)),
      entry.note ? el("p", { class: "note" }, entry.note) : null,
      warningsList(entry.warnings),
      extra || null);
  }

  // ------------------------------------------------------------------ query view

  function readForm() {
    return {
      q: $("q").value.trim(),
      unit: $("unit").value,
      amount: $("amount").value.trim(),
    };
  }

  function writeURL(form) {
    const params = new URLSearchParams();
    for (const key of ["q", "unit", "amount"]) if (form[key]) params.set(key, form[key]);
    const url = params.toString() ? `?${params}` : location.pathname;
    history.replaceState(null, "", url);
    $("permalink").href = location.href;
  }

  function scheduleQuery() {
    clearTimeout(timer);
    timer = setTimeout(runQuery, DEBOUNCE_MS);
  }

  async function runQuery() {
    const form = readForm();
    writeURL(form);
    const mine = ++sequence;
    const answer = $("answer");
    const status = $("status");
    if (!form.q && !form.amount) {
      clear(answer);
      $("slip-section").hidden = true;
      status.textContent = "請輸入要辦的事，例如「採購 30萬」。";
      return;
    }
    status.textContent = "查詢中…";
    try {
      let result;
      let kind = "route";
      if (form.unit) {
        result = await api("api/route", form);
      } else if (!form.q) {
        result = { status: 400, body: { error: "只有金額時，請選擇單位。", hint: "例如單位選「文書組」，金額 30萬。" } };
      } else {
        // No unit chosen: find says whether the words name one (「文書組 採購 30萬」).
        const found = await api("api/find", { q: form.q, amount: form.amount, limit: "5" });
        if (found.status < 300 && found.body.understood && found.body.understood.unit) {
          result = await api("api/route", { q: form.q, amount: form.amount });
        } else {
          result = found;
          kind = "find";
        }
      }
      if (mine !== sequence) return;
      clear(answer);
      status.textContent = "";
      if (result.status === 400 || result.status === 422 || result.status === 413 || result.status >= 500) {
        problem(answer, result.body);
        $("slip-section").hidden = true;
        return;
      }
      if (kind === "find") {
        renderFind(answer, result.body);
        $("slip-section").hidden = true;
      } else {
        renderRoute(answer, result.body);
        await showSlip(form, result.body, mine);
      }
    } catch (error) {
      if (mine !== sequence) return;
      status.textContent = "無法連上伺服器，請稍後再試。";
    }
  }

  async function showSlip(form, doc, mine) {
    const section = $("slip-section");
    if (!doc.match) {
      section.hidden = true;
      return;
    }
    const params = form.unit ? { ...form, format: "slip" } : { q: form.q, amount: form.amount, format: "slip" };
    const slip = await api("api/route", params);
    if (mine !== sequence) return;
    $("slip").textContent = typeof slip.body === "string" ? slip.body : "";
    section.hidden = typeof slip.body !== "string";
  }

  function understoodNotes(understood) {
    if (!understood) return null;
    const notes = [];
    if (understood.unit_from === "text" && understood.unit_text) {
      notes.push(`單位依描述中的「${understood.unit_text}」判定為${understood.unit}。`);
    }
    if (understood.other_unit_text) {
      notes.push(`描述中提到「${understood.other_unit_text}」，但選定的單位是${understood.unit}，依選定單位判定。`);
    }
    for (const s of understood.synonyms || []) notes.push(`「${s.typed}」即原表的「${s.table}」。`);
    for (const c of understood.corrections || []) notes.push(`「${c.typed}」讀作「${c.read_as}」。`);
    return notes.length ? el("ul", { class: "understood" }, notes.map((n) => el("li", {}, n))) : null;
  }

  function renderFind(answer, doc) {
    const matches = doc.matches || [];
    const heading = doc.status === "answered"
      ? "沒有指定單位：以下是各單位最相符的項目。選定單位可得到確切流程。"
      : "找不到夠相符的項目；以下是最接近的列，都不相符，請人工判斷。";
    add(answer, 
      el("p", { class: doc.status === "answered" ? "lead-in" : "lead-in unmatched" }, heading),
      understoodNotes(doc.understood),
      el("ol", { class: "entries", id: "find-results" },
        matches.map((entry) => {
          const pick = el("button", { type: "button", class: "pick" }, `以${entry.unit}查詢`);
          pick.addEventListener("click", () => {
            $("unit").value = entry.unit;
            runQuery();
          });
          return entryCard(entry, doc.status === "answered" ? pick : null);
        })),
      basis(doc.source, null));
  }

  function renderRoute(answer, doc) {
    const match = doc.match;
    if (!match) {
      renderNoRow(answer, doc);
      return;
    }
    const card = el("article", { class: "route", id: "route" });
    add(card, 
      el("h2", {}, `${match.unit}｜${tableLabel(match.table)}｜`, el("span", { class: "id" }, match.id),
        `（原表第 ${match.source_line} 行）`),
      understoodNotes(doc.understood));
    if (doc.status === "no_final_approver") {
      add(card, el("p", { class: "problem" }, "原表此列沒有「核定」，無法判定決行者；流程照原表列出，請查原表或洽承辦單位。"));
    } else if (doc.status === "choose_one") {
      add(card, el("p", { class: "problem" }, "原表把這件事分成幾種情形，決行者依情形而定：請依實際情形選定一種（見下方「依情形」）。"));
    }
    const facts = el("dl", { class: "facts" });
    const fact = (label, ...value) => add(facts, el("dt", {}, label), el("dd", {}, ...value));
    fact("公務項目", match.item);
    fact("公務內容", task(match));
    if (doc.amount_parsed) {
      const range = match.amount_range;
      const band = range ? `→ 屬於 ${range.min === null ? "" : range.min.toLocaleString("en-US")}～${range.max === null ? "" : range.max.toLocaleString("en-US")} 元級距` : "";
      fact("金額", `${doc.amount_parsed.display} ${band}`.trim());
    }
    add(card, facts);

    const steps = el("ol", { class: "chain", id: "chain" },
      (doc.chain || []).map((step) =>
        el("li", { class: step.action === "核定" ? "step final" : "step" },
          el("span", { class: "role" }, role(step.role)),
          el("span", { class: "action" }, step.action === "核定" ? "核定（決行）" : step.action))));
    add(card, el("h3", {}, "流程"), steps);

    const decider = doc.final_approver
      ? role(doc.final_approver)
      : doc.status === "choose_one" ? "依情形而定（見下方）" : "原表此列未標示核定者，請查原表，勿逕行決行";
    add(card, el("p", { class: "decider" }, el("span", { class: "label" }, "決行"),
      el("strong", { id: "final-approver" }, decider)));

    const cosign = el("dl", { class: "cosign" });
    add(cosign, el("dt", {}, "會辦"),
      el("dd", { id: "cosign-required" }, (doc.cosign_required || []).join("、") || "（無）"));
    for (const w of doc.cosign_waived || []) add(cosign, el("dt", {}, "免會"), el("dd", {}, `${w.unit}：${w.reason}`));
    for (const c of doc.cosign_conditional || []) add(cosign, el("dt", {}, "視情況"), el("dd", {}, `${c.unit}：${c.condition}`));
    add(card, cosign);

    const applied = (doc.conditions_applied || []).filter((c) => c.kind !== "waiver");
    if (applied.length) {
      add(card, el("h3", {}, "已套用的條件"),
        el("ul", { class: "conditions" }, applied.map((c) => el("li", {}, `${c.outcome}（備考：${c.text}）`))));
    }
    const pending = (doc.conditions || []).filter((c) => !c.applied && c.kind !== "waiver");
    if (pending.length) {
      add(card, el("h3", {}, "視情況（請自行確認）"),
        el("ul", { class: "conditions" }, pending.map((c) => el("li", {}, c.text))));
    }
    if (match.notes && match.notes.length) {
      add(card, el("p", { class: "notes" }, `備考：${match.notes.join("；")}`));
    }
    add(card, warningsList(doc.warnings));

    if (doc.choices && doc.choices.length) {
      add(card, el("h3", {}, "依情形"),
        el("ol", { class: "entries choices", id: "choices" }, doc.choices.map((choice) =>
          el("li", { class: "entry choice" },
            el("p", { class: "entry-head" }, el("span", { class: "id" }, choice.id), ` 原表第 ${choice.source_line} 行`),
            el("p", { class: "deciding" }, "分辨的字詞：", el("strong", {}, choice.deciding_words)),
            el("p", { class: "entry-task" }, choice.content + (choice.business ? `／${choice.business}` : "")),
            choice.rule ? el("p", { class: "note" }, choice.rule) : null,
            el("p", { class: "entry-final" }, "決行 ", el("strong", {}, choice.final_approver ? role(choice.final_approver) : "原表未標示核定者")),
            el("p", { class: "entry-chain" }, chainText(choice.chain))))));
    }
    if (doc.related && doc.related.length) {
      add(card, el("h3", {}, "相關的業務列（業務本身依該列）"),
        el("ul", { class: "entries" }, doc.related.map((e) => entryCard(e))));
    }
    if (doc.alternatives && doc.alternatives.length) {
      add(card, el("h3", {}, "其他相近的列"),
        el("ul", { class: "entries" }, doc.alternatives.map((e) => entryCard(e))));
    }
    add(card, basis(doc.source, match));
    add(answer, card);
  }

  function renderNoRow(answer, doc) {
    const unit = doc.unit || "各單位";
    let message = `${unit}的分層負責明細表沒有符合「${doc.query || ""}」的項目。`;
    if (doc.status === "amount_outside_bands") {
      message = `金額 ${doc.amount_parsed ? doc.amount_parsed.display : ""} 不在${unit}這項事務的任何級距內。`;
    }
    const head = unit.endsWith("室") ? "主任" : "組長";
    const ask = unit === "人事室" ? "請洽人事室主任確認（人事室即分層負責明細表的主管單位）。"
      : `請洽${unit}${head}或人事室（分層負責明細表的主管單位）確認。`;
    add(answer, 
      el("div", { class: "problem", id: "no-row" }, el("p", { class: "message" }, message), el("p", { class: "hint" }, ask)),
      understoodNotes(doc.understood));
    if (doc.nearest && doc.nearest.length) {
      add(answer, el("h3", {}, `${unit}最接近的列（都不相符）`),
        el("ul", { class: "entries" }, doc.nearest.map((e) => entryCard(e))));
    }
    if (doc.references && doc.references.length) {
      add(answer, el("h3", {}, "其他單位的類似項目（僅供參考，不是本單位的規定）"),
        el("ul", { class: "entries" }, doc.references.map((e) => entryCard(e))));
    }
    add(answer, basis(doc.source, null));
  }

  // ------------------------------------------------------------------ triage view

  async function sendRecord(body) {
    const status = $("triage-status");
    const result = $("triage-result");
    clear(result);
    status.textContent = "整理中…";
    try {
      const response = await fetch("api/triage", {
        method: "POST",
        headers: { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/octet-stream" },
        body,
      });
      const doc = await response.json();
      status.textContent = "";
      if (response.status !== 200 && response.status !== 404) {
        problem(result, doc);
        return;
      }
      renderTriage(result, doc);
    } catch (error) {
      status.textContent = "無法連上伺服器，請稍後再試。";
    }
  }

  function people(list) {
    return list.map((p) => (p.role && p.role !== p.title ? `${p.name}（${p.role}）` : p.name)).join("、");
  }

  function renderTriage(result, doc) {
    const meeting = doc.meeting || {};
    const directives = (doc.items || []).filter((item) => item.kind === "directive");
    const noted = (doc.items || []).filter((item) => item.kind === "noted");
    const reports = (doc.items || []).filter((item) => item.kind === "report");
    const heading = [meeting.name, meeting.date_roc && `${meeting.date_roc}（${meeting.date || ""}）`].filter(Boolean).join("、");
    add(result, el("h2", {}, heading || "會議紀錄"));
    const who = [meeting.chair && `主席：${meeting.chair}`, meeting.recorder && `紀錄：${meeting.recorder}`].filter(Boolean).join("；");
    if (who) add(result, el("p", {}, who));
    for (const w of doc.warnings || []) add(result, el("p", { class: "warning" }, `⚠ ${w}`));
    add(result, el("p", { class: "lead-in", id: "triage-count" },
      `交辦事項 ${directives.length} 項（另有工作報告 ${reports.length} 項、備查 ${noted.length} 項、列管異動 ${(doc.tracking || []).length} 筆）`));
    if (!directives.length) {
      add(result, el("p", { class: "problem" }, "紀錄中找不到交辦事項。"));
    }
    const list = el("ol", { class: "directives", id: "directives" });
    for (const item of directives) add(list, triageItem(item));
    add(result, list);
    if (reports.length) {
      // Work a unit reports done or under way: not to be assigned, but its row is looked up too.
      add(result, el("details", { id: "reports" },
        el("summary", {}, `工作報告 ${reports.length} 項（各單位報告的事，不是交辦；附所屬的明細表項目）`),
        el("ol", { class: "directives" }, reports.map(triageItem))));
    }
    if (noted.length) {
      add(result, el("details", {}, el("summary", {}, `備查事項 ${noted.length} 項`),
        el("ul", {}, noted.map((item) => el("li", {}, `${item.section}　${item.text}`)))));
    }
    if (doc.tracking && doc.tracking.length) {
      add(result, el("p", { class: "tracking" },
        "列管案號：" + doc.tracking.map((t) => `${t.case} ${t.action_text || t.action}`).join("；")));
    }
  }

  function triageItem(item) {
    let units = item.units.join("、") || "（未指明單位）";
    if (knownUnits.length && knownUnits.every((u) => item.units.includes(u))) units = `各組室（${item.units.length} 個單位）`;
    const meta = [units];
    const outside = (item.unknown_units || []).map((u) => u.full_name || u.name).join("、");
    if (outside) meta.push(`表外：${outside}`);
    if (item.rule) meta.push("全體適用的規定");
    if (item.people && item.people.length) meta.push(`承辦：${people(item.people)}`);
    if (item.invited && item.invited.length) meta.push(`邀請：${people(item.invited)}`);
    if (item.deadline) {
      const when = item.deadline.date || (item.deadline.recurring ? "定期" : "");
      meta.push(`期限：${item.deadline.text}${when ? `（${when}）` : ""}`);
    }
    const matches = item.matches || [];
    return el("li", { class: item.kind },
      el("p", { class: "entry-head" }, el("span", { class: "section" }, item.section), `　${meta.join("　")}`),
      el("p", { class: "entry-task" }, item.task || item.text),
      matches.length
        ? el("ul", { class: "suggestions" }, matches.map((m) =>
          el("li", {},
            `→ ${m.unit}（`, el("span", { class: "id" }, m.id), `）${m.business || m.content}：決行 `,
            el("strong", {}, m.final_approver ? role(m.final_approver) : "原表未標示核定者"),
            warningsList(m.warnings))))
        : null,
      item.match_note ? el("p", { class: "note" }, item.match_note) : null);
  }

  // ------------------------------------------------------------------ start

  function showView(view) {
    const triage = view === "triage";
    $("query-view").hidden = triage;
    $("triage-view").hidden = !triage;
    $("tab-query").toggleAttribute("aria-current", !triage);
    $("tab-triage").toggleAttribute("aria-current", triage);
    if (triage) $("tab-triage").setAttribute("aria-current", "page");
    else $("tab-query").setAttribute("aria-current", "page");
  }

  async function loadUnits() {
    const result = await api("api/units");
    if (result.status !== 200) return;
    knownUnits = result.body.map((row) => row.unit);
    const select = $("unit");
    const wanted = new URLSearchParams(location.search).get("unit") || "";
    for (const unit of knownUnits) select.append(el("option", { value: unit }, unit));
    if (wanted && !knownUnits.includes(wanted)) select.append(el("option", { value: wanted }, wanted));
    select.value = wanted;
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    showView(params.get("view"));
    $("q").value = params.get("q") || "";
    $("amount").value = params.get("amount") || "";
    await loadUnits();
    $("q").addEventListener("input", scheduleQuery);
    $("amount").addEventListener("input", scheduleQuery);
    $("unit").addEventListener("change", runQuery);
    $("query-form").addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      runQuery();
    });
    $("print").addEventListener("click", () => window.print());
    $("triage-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("record").value;
      if (!text.trim()) {
        $("triage-status").textContent = "請先貼上會議紀錄，或選擇紀錄檔。";
        return;
      }
      sendRecord(text);
    });
    $("record-file").addEventListener("change", async () => {
      const file = $("record-file").files[0];
      if (!file) return;
      if (file.size > 2 * 1024 * 1024) {
        $("triage-status").textContent = "檔案超過 2 MB，請分段貼上。";
        return;
      }
      sendRecord(await file.arrayBuffer()); // the bytes as they are: the server reads UTF-8 or Big5
    });
    if (params.get("view") !== "triage") {
      if ($("q").value || $("amount").value) runQuery();
      else $("status").textContent = "請輸入要辦的事，例如「採購 30萬」；可加上單位與金額。";
    }
  }

  document.addEventListener("DOMContentLoaded", start);
})();
