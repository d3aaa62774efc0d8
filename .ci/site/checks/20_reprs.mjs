// A figure or object shown as its Python repr instead of itself: "<Figure size 800x720 with 6
// Axes>", "Text(0.5, 0.98, '...')", "<matplotlib.lines.Line2D at 0x...>", "... object at 0x...",
// or a widget's repr ("interactive(children=", "VBox(children=").
export default {
  name: "reprs",
  applies: (p) => p.chapter && p.mode === "desktop",  // the content is the same in every mode
  async run(tab, ctx) {
    const problems = await tab.evaluate(() => {
      const { describe } = window.__isolearn;
      const repr = /<Figure size \d+x\d+ with \d+ Axes>|^\s*\[?(Text|Line2D)\(|<matplotlib\.[\w.]+ (object )?at 0x|object at 0x[0-9a-f]+>|(interactive|VBox|HBox|Output)\(children=|^\s*Output\(\)\s*$/m;
      const out = [];
      for (const el of document.querySelectorAll(".cell_output .output, .cell_output pre")) {
        if (el.querySelector(".output, pre")) continue;  // the innermost one names it best
        const text = el.innerText || "";
        const m = text.match(repr);
        if (m) out.push([describe(el.closest(".cell") || el), `figure or object shown as text: ${JSON.stringify(m[0].trim().slice(0, 80))}`]);
      }
      return out;
    });
    for (const [element, message] of problems) ctx.fail(element, message);
  },
};
