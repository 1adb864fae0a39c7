// Session page: uploads with progress (one request per file), live job states, live invoice list.
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
  let polling = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text; // text only: invoice text is untrusted
    return node;
  }

  function upload(file) {
    const item = el("li", { class: "upload" });
    const name = el("span", { class: "name" }, file.name);
    const bar = el("progress", { max: "100", value: "0" });
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
        startPolling();
      } else {
        const reason = (body.rejected && body.rejected[0] && body.rejected[0].reason) ||
          (body.error && body.error.message) || ("HTTP " + xhr.status);
        state.textContent = "failed: " + reason;
        state.className = "state state-failed";
      }
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

  function renderJobs(files) {
    const body = document.querySelector("#files tbody");
    body.replaceChildren(...files.map((f) => {
      const tr = el("tr", { "data-job": f.job_id });
      const st = el("span", { class: "state state-" + f.state }, f.state);
      const td = el("td"); td.append(st);
      tr.append(el("td", {}, f.name), td, el("td", {}, f.error || ""));
      return tr;
    }));
    for (const li of uploads.querySelectorAll("li[data-job]")) {
      const f = files.find((x) => String(x.job_id) === li.dataset.job);
      if (!f) continue;
      const st = li.querySelector(".state");
      st.textContent = f.state + (f.error ? ": " + f.error : "");
      st.className = "state state-" + f.state;
    }
  }

  function warningsCell(inv) {
    // The matcher's DUPLICATE warning gets a badge linking to the invoice's duplicates page.
    const cell = el("td", {}, inv.warnings.length ? String(inv.warnings.length) : "");
    if (inv.warnings.some((w) => w.startsWith("DUPLICATE:"))) {
      cell.append(" ", el("a", { class: "state state-failed badge-duplicate",
        href: reviewBase + inv.id + "/duplicates" }, "duplicate"));
    }
    return cell;
  }

  function renderInvoices(invoices) {
    const body = document.querySelector("#invoices tbody");
    const picked = new Set([...body.querySelectorAll(".pick:checked")].map((c) => c.value));
    body.replaceChildren(...invoices.map((inv) => {
      const tr = el("tr", { "data-invoice": inv.id });
      const box = el("input", { type: "checkbox", class: "pick", value: inv.id, "aria-label": "select" });
      box.checked = picked.has(String(inv.id));
      const c0 = el("td"); c0.append(box);
      const link = el("a", { href: reviewBase + inv.id }, inv.file);
      const c1 = el("td"); c1.append(link);
      const status = inv.reviewed ? "reviewed" : inv.status;
      const c6 = el("td"); c6.append(el("span", { class: "state state-" + inv.status }, status));
      tr.append(c0, c1, el("td", {}, inv.invoice_number || ""), el("td", {}, inv.issue_date || ""),
        el("td", {}, (inv.seller && inv.seller.name) || ""),
        el("td", { class: "num" }, [inv.total || "", inv.currency || ""].join(" ").trim()),
        c6, warningsCell(inv));
      return tr;
    }));
  }

  async function refresh() {
    const [s, inv] = await Promise.all([
      fetch(api, { credentials: "same-origin" }).then((r) => r.json()),
      fetch(api + "/invoices", { credentials: "same-origin" }).then((r) => r.json()),
    ]);
    renderJobs(s.files);
    renderInvoices(inv.invoices);
    // An upload whose job this (possibly older) answer does not know yet is still busy too.
    const known = new Set(s.files.map((f) => String(f.job_id)));
    const waiting = [...uploads.querySelectorAll("li[data-job]")].some((li) => !known.has(li.dataset.job));
    const busy = waiting || s.files.some((f) => ["queued", "reading", "extracting"].includes(f.state));
    if (!busy && polling) { clearInterval(polling); polling = null; }
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
  if (document.querySelector("#files .state-queued, #files .state-reading, #files .state-extracting")) startPolling();
})();
