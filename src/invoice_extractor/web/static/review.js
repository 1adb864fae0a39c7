// Review page: hovering or focusing a field highlights its evidence on the page image; edits
// are saved with PATCH; keyboard: Ctrl+S saves, j/k next/previous invoice (outside inputs).
"use strict";
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const dpi = Number(root.dataset.dpi);
  const message = document.getElementById("message");
  const form = document.getElementById("fields-form");
  let reviewed = root.dataset.reviewed === "true";

  function hideAll() { for (const h of root.querySelectorAll(".highlight")) h.hidden = true; }

  function show(input) {
    hideAll();
    if (!input.dataset.bbox) return;
    const figure = root.querySelector('.page[data-page="' + input.dataset.page + '"]');
    if (!figure) return;
    const img = figure.querySelector("img");
    const box = figure.querySelector(".highlight");
    if (!img.naturalWidth) { img.addEventListener("load", () => show(input), { once: true }); return; }
    // bbox is in PDF points; the image has dpi/72 pixels per point, shown at clientWidth.
    const scale = (img.clientWidth / img.naturalWidth) * (dpi / 72);
    const [x0, y0, x1, y1] = input.dataset.bbox.split(",").map(Number);
    const pad = 2;
    box.style.left = (img.offsetLeft + x0 * scale - pad) + "px";
    box.style.top = (img.offsetTop + y0 * scale - pad) + "px";
    box.style.width = ((x1 - x0) * scale + 2 * pad) + "px";
    box.style.height = ((y1 - y0) * scale + 2 * pad) + "px";
    box.hidden = false;
    // Scroll the page list only: scrolling the window would move other fields under the pointer.
    const pages = root.querySelector(".pages");
    const top = box.offsetTop - pages.clientHeight / 3;
    if (box.offsetTop < pages.scrollTop || box.offsetTop > pages.scrollTop + pages.clientHeight) {
      pages.scrollTo({ top: top, behavior: "smooth" });
    }
  }

  for (const input of form.querySelectorAll("input[data-path]")) {
    input.addEventListener("focus", () => show(input));
    input.addEventListener("mouseenter", () => show(input));
    // Leaving a hovered field brings back the highlight of the field being edited.
    input.addEventListener("mouseleave", () => {
      const focused = document.activeElement;
      if (focused && focused !== input && focused.dataset && focused.dataset.path) show(focused);
    });
    input.addEventListener("input", () => input.classList.toggle("dirty", input.value !== input.dataset.original));
  }

  async function patch(body) {
    const response = await fetch(root.dataset.api, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error((data.error && data.error.message) || "HTTP " + response.status);
    return data;
  }

  async function save() {
    const fields = {};
    for (const input of form.querySelectorAll("input[data-path]")) {
      if (input.value !== input.dataset.original) fields[input.dataset.path] = input.value === "" ? null : input.value;
    }
    if (!Object.keys(fields).length) { message.textContent = "Nothing to save."; return; }
    try {
      await patch({ fields: fields });
      for (const input of form.querySelectorAll("input.dirty")) {
        input.dataset.original = input.value;
        input.classList.remove("dirty");
        input.closest(".field, td").classList.add("corrected");
      }
      message.textContent = "Saved " + Object.keys(fields).length + " correction(s).";
    } catch (err) {
      message.textContent = "Not saved: " + err.message;
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); save(); });
  document.getElementById("mark-reviewed").addEventListener("click", async (e) => {
    try {
      await patch({ reviewed: !reviewed });
      reviewed = !reviewed;
      e.target.textContent = reviewed ? "Mark not reviewed" : "Mark reviewed";
      const status = document.getElementById("status");
      status.textContent = reviewed ? "reviewed" : "needs review";
      message.textContent = reviewed ? "Marked reviewed." : "Marked not reviewed.";
    } catch (err) {
      message.textContent = "Not saved: " + err.message;
    }
  });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); return; }
    if (e.target.tagName === "INPUT") return;
    const link = e.key === "j" ? document.getElementById("next") : e.key === "k" ? document.getElementById("prev") : null;
    if (link) window.location = link.href;
  });
  window.addEventListener("resize", () => { const f = document.activeElement; if (f && f.dataset && f.dataset.bbox) show(f); });
})();
