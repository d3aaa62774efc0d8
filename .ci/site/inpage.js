// Helpers injected into every page before its own scripts run (context.addInitScript), so that
// the checks' page.evaluate() snippets can name elements the same way.
window.__isolearn = {
  // Uncaught errors, caught here too: the browser's own page-error event can miss one thrown
  // while the first page of a fresh browser is still starting.
  errors: [],

  // A short, readable name for an element: the path from its nearest ancestor with an id
  // (at most 4 steps), then the start of its text.  e.g.
  //   section#exercises > div.cell_output > table.isolearn-table "params  MACs ..."
  describe(el) {
    const step = (e) => {
      let s = e.tagName.toLowerCase();
      if (e.id) return `${s}#${e.id}`;
      const cls = [...e.classList].filter((c) => !c.startsWith("mjx")).slice(0, 2);
      if (cls.length) s += "." + cls.join(".");
      return s;
    };
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 5; e = e.parentElement) {
      parts.unshift(step(e));
      if (e.id && e !== el) break;
    }
    const text = (el.innerText || el.textContent || el.getAttribute?.("src") || "")
      .replace(/\s+/g, " ").trim().slice(0, 70);
    return parts.join(" > ") + (text ? ` "${text}"` : "");
  },

  // Is the element rendered at all (not display:none, not visibility:hidden, has a box)?
  visible(el) {
    if (!el.getClientRects().length) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden" && style.display !== "none";
  },

  // Text nodes of the reader-facing page (the article), outside code, scripts and typeset math.
  proseTextNodes(root = document.querySelector("main") || document.body) {
    const skip = "pre, code, script, style, textarea, mjx-container, .highlight, kbd, samp";
    const out = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest(skip) || !n.nodeValue.trim()) continue;
      out.push(n);
    }
    return out;
  },
};

window.addEventListener("error", (e) => window.__isolearn.errors.push(String(e.message || e)));
