// Math is typeset: no MathJax error box, no math span left as TeX, no raw "$", "\(" or "\sqrt"
// in the prose (outside code), which is what mismatched $ delimiters leave behind.
export default {
  name: "math",
  applies: (p) => p.mode === "desktop",  // typesetting does not depend on the width or colours
  async run(tab, ctx) {
    const problems = await tab.evaluate(() => {
      const { describe, proseTextNodes } = window.__isolearn;
      const out = [];
      for (const el of document.querySelectorAll("mjx-merror")) {
        out.push([describe(el.closest("mjx-container")?.parentElement || el), `MathJax error: ${el.getAttribute("data-mjx-error") || el.textContent}`]);
      }
      for (const el of document.querySelectorAll("span.math, div.math")) {
        if (!el.querySelector("mjx-container")) out.push([describe(el), "math not typeset"]);
      }
      const raw = /\$|\\\(|\\\)|\\\[|\\\]|\\(?:[a-zA-Z]{2,})\b/;
      for (const node of proseTextNodes()) {
        const m = node.nodeValue.match(raw);
        if (!m) continue;
        const el = node.parentElement;
        if (el.closest("span.math, div.math, .MathJax_Preview, mjx-assistive-mml, [class*='search']")) continue;
        const at = node.nodeValue.indexOf(m[0]);
        out.push([describe(el), `raw TeX in the text: ...${node.nodeValue.slice(Math.max(0, at - 30), at + 40).replace(/\s+/g, " ")}...`]);
      }
      return out;
    });
    for (const [element, message] of problems) ctx.fail(element, message);
  },
};
