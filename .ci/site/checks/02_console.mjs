// No red line in the reader's console: console.error calls and uncaught exceptions.
// A request to another site is reported by the network check, not again here.
export default {
  name: "console",
  async setup(tab, ctx) {
    ctx.state.pageErrors = new Set();
    tab.on("console", (msg) => {
      if (msg.type() !== "error" || msg.text().includes("ERR_BLOCKED_BY_CLIENT")) return;
      const where = msg.location();
      const at = where?.url ? `${where.url.replace(ctx.base, "")}:${where.lineNumber}` : "console";
      ctx.fail(at, `console error: ${msg.text().slice(0, 300)}`);
    });
    tab.on("pageerror", (err) => {
      const message = String(err.message || err).split("\n")[0];
      ctx.state.pageErrors.add(message);
      ctx.fail("script", `uncaught ${err.name || "error"}: ${message.slice(0, 300)}`);
    });
  },
  async run(tab, ctx) {
    const caught = await tab.evaluate(() => window.__isolearn.errors);
    for (const message of caught) {
      const bare = message.replace(/^Uncaught (\w+: )?/, "");
      if (![...ctx.state.pageErrors].some((m) => m.includes(bare) || bare.includes(m))) {
        ctx.fail("script", `uncaught ${message.slice(0, 300)}`);
      }
    }
    if (ctx.mode !== "dark") return;
    const theme = await tab.evaluate(() => document.documentElement.dataset.theme);
    if (theme !== "dark") ctx.fail("html", `dark mode: prefers-color-scheme is dark but data-theme is ${JSON.stringify(theme)}`);
  },
};
