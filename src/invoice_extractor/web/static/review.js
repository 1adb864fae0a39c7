// Review page. The invoice JSON (embedded, then each PATCH answer) drives every mark: fields to
// check, warnings beside their fields, corrected fields, confidences, status. Focusing or
// hovering a field draws its evidence box and scrolls it into view. Unsaved edits are kept as a
// draft (localStorage) and never lost by j/k, a link or closing the tab.
"use strict";
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const dpi = Number(root.dataset.dpi);
  const message = document.getElementById("message");
  const form = document.getElementById("fields-form");
  const pane = root.querySelector(".pages");
  const inputs = [...form.querySelectorAll("input[data-path]")];
  const byPath = new Map(inputs.map((i) => [i.dataset.path, i]));
  const draftKey = "draft:" + root.dataset.api;
  let data = JSON.parse(document.getElementById("invoice-data").textContent);
  let leaving = false;

  const el = window.dom.el;
  function labelOf(path) {
    const input = byPath.get(path);
    if (!input) return path;
    const label = input.labels && input.labels[0];
    return label ? label.childNodes[0].textContent.trim() : input.getAttribute("aria-label");
  }
  function pct(c) { return Math.round(c * 100) + "%"; }
  // A tick only where the validator judges the confidence (header fields, with a threshold).
  function judged(path, ev) {
    return data.review_threshold !== null && byPath.get(path).closest(".field") !== null && ev.confidence >= data.review_threshold;
  }

  // -- evidence boxes ------------------------------------------------------------------------
  function clearBoxes() { for (const h of root.querySelectorAll(".highlight")) h.remove(); }

  function drawBox(path, scroll) {
    const ev = data.evidence[path];
    if (!ev) return null;
    const figure = root.querySelector('.page[data-page="' + ev.page + '"]');
    if (!figure) return null;
    const img = figure.querySelector("img");
    if (!img.complete || !img.naturalWidth) {
      img.addEventListener("load", () => show(document.activeElement && document.activeElement.dataset ? document.activeElement : null), { once: true });
      img.loading = "eager";
      return null;
    }
    // bbox is in PDF points; the image has dpi/72 pixels per point, shown at clientWidth.
    const scale = (img.clientWidth / img.naturalWidth) * (dpi / 72);
    const [x0, y0, x1, y1] = ev.bbox;
    const pad = 2;
    const box = el("div", { class: "highlight", "data-for": path });
    box.style.left = (img.offsetLeft + x0 * scale - pad) + "px";
    box.style.top = (img.offsetTop + y0 * scale - pad) + "px";
    box.style.width = ((x1 - x0) * scale + 2 * pad) + "px";
    box.style.height = ((y1 - y0) * scale + 2 * pad) + "px";
    figure.append(box);
    if (scroll) scrollToBox(figure, box);
    return box;
  }

  function scrollToBox(figure, box) {
    // Only the page pane scrolls (the window would move other fields under the pointer); the
    // box's place in the pane is its figure's offset plus its own.
    const top = figure.offsetTop + box.offsetTop;
    const bottom = top + box.offsetHeight;
    if (top < pane.scrollTop || bottom > pane.scrollTop + pane.clientHeight) {
      pane.scrollTo({ top: Math.max(0, top - pane.clientHeight / 3) });
    }
  }

  function show(input, extra) {
    clearBoxes();
    if (!input || !input.dataset || !input.dataset.path) return;
    drawBox(input.dataset.path, true);
    for (const p of extra || []) if (p !== input.dataset.path) drawBox(p, false);
  }

  // -- marks from the invoice JSON -----------------------------------------------------------
  function render() {
    const toCheck = new Map(data.to_check.map((t) => [t.path, t.confidence]));
    const corrected = new Set(data.corrected_fields);
    // A warning is written once, beside the last of its fields on this page (the one it is
    // about: the amount, the total); every field it names is marked.
    const notes = new Map();
    const warned = new Set();
    for (const w of data.checks) {
      if (w.code === "UNCERTAIN") continue; // listed as fields to check instead
      const shown = w.fields.filter((p) => byPath.has(p));
      for (const p of shown) warned.add(p);
      const at = shown[shown.length - 1];
      if (at) { if (!notes.has(at)) notes.set(at, []); notes.get(at).push(w); }
    }
    const xml = data.extractor.startsWith("einvoice") && !data.pages.length;
    for (const input of inputs) {
      const path = input.dataset.path;
      const holder = input.closest("[data-field]");
      const conf = document.getElementById("c-" + path);
      const note = document.getElementById("m-" + path);
      const ev = data.evidence[path];
      // The box's page and place, as attributes too (for tools and tests reading the DOM).
      if (ev) { input.dataset.page = ev.page; input.dataset.bbox = ev.bbox.join(","); }
      else { delete input.dataset.page; delete input.dataset.bbox; }
      holder.classList.toggle("corrected", corrected.has(path));
      holder.classList.toggle("to-check", toCheck.has(path));
      holder.classList.toggle("warned", warned.has(path));
      holder.classList.remove("invalid");
      input.removeAttribute("aria-invalid");
      if (corrected.has(path)) conf.textContent = "✎ corrected";
      else if (toCheck.has(path)) conf.textContent = "⚠ check " + pct(toCheck.get(path));
      else if (ev) conf.textContent = (judged(path, ev) ? "✓ " : "") + pct(ev.confidence);
      else if (xml && input.dataset.original !== "") conf.textContent = "✓ 100% XML";
      else conf.textContent = "";
      conf.setAttribute("aria-label", conf.textContent ? "confidence: " + conf.textContent.replace(/^[✓⚠✎] /, "") : "");
      note.replaceChildren(...(notes.get(path) || []).map((w) => {
        const line = el("span", { class: "warn-text" }, "⚠ " + w.message + " ");
        line.append(el("code", {}, w.code));
        return line;
      }));
    }
    const title = document.getElementById("to-check-title");
    const n = data.to_check.length;
    title.textContent = n ? "⚠ " + n + (n === 1 ? " field to check" : " fields to check")
      : data.status === "failed" ? "" : "✓ No field below the review threshold";
    title.className = "summary-title " + (n ? "attention" : "fine");
    document.getElementById("to-check").replaceChildren(...data.to_check.map((t) => {
      const b = el("button", { type: "button", class: "chip", "data-goto": t.path }, labelOf(t.path) + " · " + pct(t.confidence));
      return el("li").appendChild(b).parentNode;
    }));
    document.getElementById("warnings").replaceChildren(...data.checks.filter((w) => w.code !== "UNCERTAIN").map((w) => {
      const li = el("li");
      const text = w.fields.length && byPath.has(w.fields[w.fields.length - 1])
        ? el("button", { type: "button", class: "link-button", "data-goto": w.fields[w.fields.length - 1], "data-also": w.fields.join(",") }, w.message)
        : el("span", {}, w.message);
      li.append(text, " ", el("code", { class: "code" }, w.code));
      return li;
    }));
    document.getElementById("warnings").hidden = !document.getElementById("warnings").children.length;
    const status = document.getElementById("status");
    const words = { ok: "ok", needs_review: "needs review", failed: "failed", reviewed: "✓ reviewed" };
    status.textContent = words[data.review_state] || data.review_state;
    status.className = "state state-" + data.review_state;
    document.getElementById("mark-reviewed").textContent = data.reviewed ? "Mark not reviewed (r)" : "Mark reviewed (r)";
    for (const input of dirtyInputs()) markDirty(input);
  }

  root.addEventListener("click", (e) => {
    const target = e.target.closest("[data-goto]");
    if (!target) return;
    const input = byPath.get(target.dataset.goto);
    if (!input) return;
    input.focus();
    if (target.dataset.also) show(input, target.dataset.also.split(","));
  });

  // -- edits, drafts, saving -----------------------------------------------------------------
  function dirtyInputs() { return inputs.filter((i) => i.value !== i.dataset.original); }
  function markDirty(input) {
    const dirty = input.value !== input.dataset.original;
    input.classList.toggle("dirty", dirty);
    // The confidence spoke of the extracted value; an edit is the clerk's until saved.
    const conf = document.getElementById("c-" + input.dataset.path);
    if (dirty) { conf.textContent = "✎ unsaved"; conf.setAttribute("aria-label", "edited, not saved"); }
  }
  function storeDraft() {
    const edits = {};
    for (const i of dirtyInputs()) edits[i.dataset.path] = i.value;
    try {
      if (Object.keys(edits).length) localStorage.setItem(draftKey, JSON.stringify(edits));
      else localStorage.removeItem(draftKey);
    } catch (_) { /* storage full or off: the leave prompt still guards */ }
  }
  function clearDraft() { try { localStorage.removeItem(draftKey); } catch (_) { /* off */ } }

  for (const input of inputs) {
    input.addEventListener("focus", () => show(input));
    input.addEventListener("mouseenter", () => show(input));
    // Leaving a hovered field brings back the highlight of the field being edited.
    input.addEventListener("mouseleave", () => {
      const focused = document.activeElement;
      if (focused && focused !== input && focused.dataset && focused.dataset.path) show(focused);
    });
    input.addEventListener("input", () => { markDirty(input); storeDraft(); });
  }

  function showErrors(fields) {
    for (const [path, text] of Object.entries(fields)) {
      const input = byPath.get(path);
      if (!input) continue;
      input.setAttribute("aria-invalid", "true");
      input.closest("[data-field]").classList.add("invalid");
      document.getElementById("m-" + path).replaceChildren(el("span", { class: "error-text" }, "✗ " + text));
    }
  }

  async function patch(body) {
    const response = await fetch(root.dataset.api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!response.ok) {
      const err = new Error((answer.error && answer.error.message) || "HTTP " + response.status);
      err.fields = (answer.error && answer.error.fields) || {};
      throw err;
    }
    return answer;
  }

  function pending() {
    const fields = {};
    for (const input of dirtyInputs()) fields[input.dataset.path] = input.value.trim() === "" ? null : input.value;
    return fields;
  }

  function apply(answer) {
    data = answer;
    for (const input of inputs) {
      const path = input.dataset.path.split(".");
      let value = data;
      for (const part of path) value = value == null ? null : value[part];
      input.value = value == null ? "" : String(value);
      input.dataset.original = input.value;
      input.classList.remove("dirty");
    }
    clearDraft();
    render();
    const focused = document.activeElement;
    if (focused && focused.dataset && focused.dataset.path) show(focused); else clearBoxes();
  }

  // Saves pending edits (and the reviewed mark, if given); true when nothing is left unsaved.
  async function save(reviewed) {
    const fields = pending();
    const count = Object.keys(fields).length;
    if (!count && reviewed === undefined) { message.textContent = "Nothing to save."; return true; }
    const body = { fields: fields };
    if (reviewed !== undefined) body.reviewed = reviewed;
    render(); // clears old error marks
    try {
      apply(await patch(body));
      const parts = [];
      if (count) parts.push("Saved " + count + " correction(s).");
      if (reviewed !== undefined) parts.push(reviewed ? "Marked reviewed." : "Marked not reviewed.");
      message.textContent = parts.join(" ");
      return true;
    } catch (err) {
      if (err.fields && Object.keys(err.fields).length) {
        showErrors(err.fields);
        const n = Object.keys(err.fields).length;
        message.textContent = "Not saved: " + n + (n === 1 ? " field needs" : " fields need") + " fixing (see beside the field).";
      } else {
        message.textContent = "Not saved: " + err.message;
      }
      return false;
    }
  }

  // -- leaving with unsaved edits ------------------------------------------------------------
  const leave = document.getElementById("leave");
  let leaveTo = null;
  function go(href) { leaving = true; window.location = href; }
  function askToLeave(href) {
    const n = dirtyInputs().length;
    if (!n) { go(href); return; }
    leaveTo = href;
    document.getElementById("leave-text").textContent = "You changed " + n + (n === 1 ? " field" : " fields") + " on this invoice without saving.";
    leave.hidden = false;
    document.getElementById("leave-save").focus();
  }
  function closeLeave() { leave.hidden = true; leaveTo = null; }
  document.getElementById("leave-save").addEventListener("click", async () => {
    const to = leaveTo;
    closeLeave();
    if (await save()) go(to);
  });
  document.getElementById("leave-discard").addEventListener("click", () => { const to = leaveTo; clearDraft(); closeLeave(); go(to); });
  document.getElementById("leave-stay").addEventListener("click", closeLeave);
  for (const link of root.querySelectorAll("#back, #prev, #next")) {
    link.addEventListener("click", (e) => { e.preventDefault(); askToLeave(link.href); });
  }
  window.addEventListener("beforeunload", (e) => {
    if (leaving || !dirtyInputs().length) return;
    storeDraft();
    e.preventDefault();
    e.returnValue = "";
  });

  // -- help and keys -------------------------------------------------------------------------
  const help = document.getElementById("help");
  let helpFrom = null;
  function openHelp() { helpFrom = document.activeElement; help.hidden = false; document.getElementById("help-close").focus(); }
  function closeHelp() { help.hidden = true; if (helpFrom && helpFrom.focus) helpFrom.focus(); }
  // Tab stays inside an open dialog (its buttons), as in a modal dialog.
  for (const dialog of [help, leave]) {
    dialog.addEventListener("keydown", (e) => {
      if (e.key !== "Tab") return;
      const buttons = [...dialog.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      const next = (at + (e.shiftKey ? -1 : 1) + buttons.length) % buttons.length;
      e.preventDefault();
      buttons[next].focus();
    });
  }
  document.getElementById("help-open").addEventListener("click", openHelp);
  document.getElementById("help-close").addEventListener("click", closeHelp);

  function nextToCheck() {
    const paths = data.to_check.map((t) => t.path).filter((p) => byPath.has(p));
    if (!paths.length) return;
    const at = paths.indexOf(document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.path : "");
    byPath.get(paths[(at + 1) % paths.length]).focus();
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  document.getElementById("mark-reviewed").addEventListener("click", () => save(!data.reviewed));
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); return; }
    if (!leave.hidden) {
      if (e.key === "Escape") { e.preventDefault(); closeLeave(); }
      return; // Enter activates the focused dialog button
    }
    if (!help.hidden) { if (e.key === "Escape" || e.key === "?") { e.preventDefault(); closeHelp(); } return; }
    if (e.target.tagName === "INPUT") { if (e.key === "Escape") e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "?") { e.preventDefault(); openHelp(); return; }
    if (e.key === "r") { e.preventDefault(); save(!data.reviewed); return; }
    if (e.key === "n") { e.preventDefault(); nextToCheck(); return; }
    const link = e.key === "j" ? document.getElementById("next") : e.key === "k" ? document.getElementById("prev") : null;
    if (link) { e.preventDefault(); askToLeave(link.href); }
  });
  window.addEventListener("resize", () => { const f = document.activeElement; if (f && f.dataset && f.dataset.path) show(f); });

  // -- start: marks, then any draft left by a closed tab -------------------------------------
  render();
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (_) { draft = null; }
  if (draft) {
    let restored = 0;
    for (const [path, value] of Object.entries(draft)) {
      const input = byPath.get(path);
      if (input && input.value !== value) { input.value = value; markDirty(input); restored += 1; }
    }
    if (restored) message.textContent = "Restored " + restored + " unsaved edit(s) from a draft: save them or press Discard.";
    if (restored) {
      const discard = el("button", { type: "button", id: "discard-draft", class: "small" }, "Discard draft");
      discard.addEventListener("click", () => { leaving = true; clearDraft(); window.location.reload(); });
      message.after(discard);
    } else clearDraft();
  }
})();
