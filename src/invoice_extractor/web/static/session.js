// Session page: uploads with progress (one request per file), live job states and invoice list
// (rendered here from the page's JSON, then from polls), retry / remove, exports.
"use strict";
(function () {
  const root = document.getElementById("session");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const api = root.dataset.api;
  const reviewBase = root.dataset.review.replace(/\/0$/, "/");
  const uploads = document.getElementById("uploads");
  const input = document.getElementById("file-input");
  const zone = document.getElementById("dropzone");
  const initial = JSON.parse(document.getElementById("session-data").textContent);
  let polling = null;

  const el = window.dom.el;

  function cell(...children) { const td = el("td"); td.append(...children); return td; }

  // Each cell carries its column's heading: at phone width the rows stack as labelled cards.
  function labelled(table, rows) {
    const heads = [...document.querySelectorAll(table + " thead th")].map((th) => th.textContent.trim());
    for (const tr of rows) [...tr.children].forEach((td, i) => { if (heads[i]) td.dataset.label = heads[i]; });
    return rows;
  }

  async function call(method, path) {
    const r = await fetch(api + path, { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } });
    if (!r.ok) throw new Error("HTTP " + r.status);
  }

  function action(label, name, method, path, question) {
    const b = el("button", { type: "button", class: "small", "aria-label": label + " " + name }, label);
    b.addEventListener("click", async () => {
      if (question && !window.confirm(question)) return;
      b.disabled = true;
      try { await call(method, path); await refresh(); startPolling(); } catch (err) { b.disabled = false; }
    });
    return b;
  }

  function upload(file) {
    const item = el("li", { class: "upload" });
    const name = el("span", { class: "name" }, file.name);
    const bar = el("progress", { max: "100", value: "0", "aria-label": "Upload of " + file.name });
    const state = el("span", { class: "state state-queued" }, "uploading");
    item.append(name, bar, state);
    uploads.append(item);
    const form = new FormData();
    form.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", api + "/files");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 202) {
        bar.value = 100;
        state.textContent = "uploaded";
        item.dataset.job = body.accepted[0].job_id;
        if (body.accepted[0].duplicate) item.append(el("span", { class: "note dup" }, "⚠ Already uploaded: " + body.accepted[0].duplicate));
      } else {
        const reason = (body.rejected && body.rejected[0] && body.rejected[0].reason) ||
          (body.error && body.error.message) || ("HTTP " + xhr.status);
        state.textContent = "rejected: " + reason;
        state.className = "state state-failed";
      }
      startPolling();
    };
    xhr.onerror = () => { state.textContent = "failed: network error"; state.className = "state state-failed"; };
    xhr.send(form);
  }

  function handle(files) { for (const f of files) upload(f); }
  input.addEventListener("change", () => { handle(input.files); input.value = ""; });
  for (const ev of ["dragenter", "dragover"]) zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add("over"); });
  for (const ev of ["dragleave", "drop"]) zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.remove("over"); });
  zone.addEventListener("drop", (e) => handle(e.dataTransfer.files));
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });

  function renderJobs(s) {
    const body = document.querySelector("#files tbody");
    const rows = s.files.map((f) => {
      const tr = el("tr", { "data-job": f.job_id, "data-file": f.file_id });
      const details = el("td", {}, f.reason || "");
      const dup = s.duplicates["file:" + f.file_id];
      if (dup) details.append(el("span", { class: "note dup" }, "⚠ Already uploaded: " + dup));
      const acts = cell();
      if (f.state === "failed") acts.append(action("Retry", f.name, "POST", "/files/" + f.file_id + "/retry"));
      acts.append(action("Remove", f.name, "DELETE", "/files/" + f.file_id, "Remove " + f.name + " and its invoices?"));
      tr.append(el("td", {}, f.name), cell(el("span", { class: "state state-" + f.state }, f.state)), details, acts);
      return tr;
    });
    for (const r of s.rejected) {
      const tr = el("tr", { "data-rejected": r.id });
      tr.append(el("td", {}, r.name), cell(el("span", { class: "state state-failed" }, "rejected")),
        el("td", {}, r.reason), cell(action("Remove", r.name, "DELETE", "/rejected/" + r.id)));
      rows.push(tr);
    }
    body.replaceChildren(...labelled("#files", rows));
    for (const li of uploads.querySelectorAll("li[data-job]")) {
      const f = s.files.find((x) => String(x.job_id) === li.dataset.job);
      if (!f) continue;
      const st = li.querySelector(".state");
      st.textContent = f.state + (f.reason ? ": " + f.reason : "");
      st.className = "state state-" + f.state;
    }
  }

  const STATE_WORDS = { ok: "ok", needs_review: "needs review", failed: "failed", reviewed: "✓ reviewed" };

  function renderInvoices(invoices, duplicates) {
    const body = document.querySelector("#invoices tbody");
    const picked = new Set([...body.querySelectorAll(".pick:checked")].map((c) => c.value));
    body.replaceChildren(...labelled("#invoices", invoices.map((inv) => {
      const title = inv.invoice_number ? "invoice " + inv.invoice_number + " (" + inv.file + ")" : inv.file;
      const tr = el("tr", { "data-invoice": inv.id });
      const box = el("input", { type: "checkbox", class: "pick", value: inv.id, "aria-label": "Select " + title });
      box.checked = picked.has(String(inv.id));
      const toCheck = inv.to_check.length;
      const checkCell = el("td", { class: "to-check" }, toCheck ? "⚠ " + toCheck + (toCheck === 1 ? " field" : " fields") : inv.status === "failed" ? "" : "✓ none");
      const warned = inv.checks.filter((w) => w.code !== "UNCERTAIN").length; // those are "to check"
      const notes = el("td", {}, warned ? warned + (warned === 1 ? " warning" : " warnings") : "");
      const dup = duplicates["invoice:" + inv.id];
      if (dup) notes.append(el("span", { class: "note dup" }, "⚠ Duplicate? " + dup));
      if (inv.warnings.some((w) => w.startsWith("DUPLICATE:"))) {
        // The matcher's DUPLICATE warning: a badge linking to the invoice's duplicates page.
        notes.append(" ", el("a", { class: "state state-failed badge-duplicate",
          href: reviewBase + inv.id + "/duplicates" }, "duplicate"));
      }
      tr.append(cell(box), cell(el("a", { href: reviewBase + inv.id }, inv.file)),
        el("td", {}, inv.invoice_number || ""), el("td", {}, inv.issue_date || ""),
        el("td", {}, (inv.seller && inv.seller.name) || ""),
        el("td", { class: "num" }, [inv.total || "", inv.currency || ""].join(" ").trim()),
        cell(el("span", { class: "state state-" + inv.review_state }, STATE_WORDS[inv.review_state] || inv.review_state)),
        checkCell, notes,
        cell(action("Remove", title, "DELETE", "/invoices/" + inv.id, "Remove " + title + " from this session?")));
      return tr;
    })));
  }

  function busy(s) {
    // An upload whose job this (possibly older) answer does not know yet is still busy too.
    const known = new Set(s.files.map((f) => String(f.job_id)));
    const waiting = [...uploads.querySelectorAll("li[data-job]")].some((li) => !known.has(li.dataset.job));
    return waiting || s.files.some((f) => ["queued", "reading", "extracting"].includes(f.state));
  }

  async function refresh() {
    const [s, inv] = await Promise.all([
      fetch(api, { credentials: "same-origin" }).then((r) => r.json()),
      fetch(api + "/invoices", { credentials: "same-origin" }).then((r) => r.json()),
    ]);
    renderJobs(s);
    renderInvoices(inv.invoices, s.duplicates);
    if (!busy(s) && polling) { clearInterval(polling); polling = null; }
  }

  function startPolling() { if (!polling) polling = setInterval(() => refresh().catch(() => {}), 1000); }

  document.getElementById("select-all").addEventListener("change", (e) => {
    for (const box of document.querySelectorAll("#invoices .pick")) box.checked = e.target.checked;
  });
  for (const link of document.querySelectorAll("[data-export]")) {
    link.addEventListener("click", (e) => {
      e.preventDefault();
      const ids = [...document.querySelectorAll("#invoices .pick:checked")].map((c) => c.value);
      const params = new URLSearchParams({ format: link.dataset.export, kind: link.dataset.kind });
      if (ids.length) params.set("ids", ids.join(","));
      window.location = api + "/export?" + params.toString();
    });
  }
  renderJobs(initial.session);
  renderInvoices(initial.invoices, initial.session.duplicates);
  if (busy(initial.session)) startPolling();
})();
