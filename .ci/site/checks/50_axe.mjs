// axe-core (the accessibility engine of Lighthouse and Chrome's DevTools): every violation of
// impact "critical" or "serious" fails, one line per element, with the rule's id and help text.
import { createRequire } from "node:module";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

export default {
  name: "axe",
  // light and dark colours; the phone layout adds no rule axe does not already see at 1280 px
  applies: (p) => p.mode !== "phone",
  async run(tab, ctx) {
    await tab.addScriptTag({ path: axePath });
    // In dark mode only the colours differ from the desktop run: check just their contrast.
    const options = ctx.mode === "dark" ? { runOnly: ["color-contrast"] } : {};
    const violations = await tab.evaluate(async (options) => {
      // MathJax's output is thousands of tiny elements (half the time of a chapter's run), in
      // the colour of the text around it, which axe checks anyway.
      const context = { exclude: [["mjx-container"]] };
      const result = await window.axe.run(context, { ...options, resultTypes: ["violations"] });
      return result.violations
        .filter((v) => v.impact === "critical" || v.impact === "serious")
        .map((v) => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => ({
            target: n.target.join(" "),
            summary: (n.failureSummary || "").split("\n").slice(1, 2).join(" ").trim(),
          })),
        }));
    }, options);
    for (const v of violations) {
      for (const n of v.nodes) ctx.fail(n.target, `${v.impact} ${v.id}: ${v.help}${n.summary ? ` (${n.summary})` : ""}`);
    }
  },
};
