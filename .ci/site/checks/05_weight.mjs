// What a first visit downloads: the bytes of every response the page gets (uncompressed; each
// page opens in a fresh browser context, so nothing comes from a cache), at most 3 MB a page
// (ISOLEARN_PAGE_MB). At the end it prints the heaviest pages and what makes them heavy, and
// writes every page's requests to _build/site-weights.json.
import { writeFileSync } from "node:fs";
import path from "node:path";

const LIMIT = Number(process.env.ISOLEARN_PAGE_MB || 3) * 1e6;
const weights = [];  // [page, bytes, [[url, bytes], ...]]

export default {
  name: "weight",
  applies: (p) => p.mode === "desktop",
  async setup(tab, ctx) {
    ctx.state.requests = [];
    tab.on("requestfinished", (req) => ctx.state.requests.push(req));
  },
  async run(tab, ctx) {
    const sizes = await Promise.all(ctx.state.requests.map(async (req) => {
      const s = await req.sizes().catch(() => null);
      return [req.url().replace(ctx.base, "").replace(/\?.*$/, ""), s ? s.responseBodySize : 0];
    }));
    sizes.sort((a, b) => b[1] - a[1]);
    const total = sizes.reduce((a, [, n]) => a + n, 0);
    weights.push([ctx.path, total, sizes]);
    if (total > LIMIT) {
      const top = sizes.slice(0, 3).map(([u, n]) => `${u} ${(n / 1e6).toFixed(2)} MB`).join(", ");
      ctx.fail(`${sizes.length} requests`, `the page downloads ${(total / 1e6).toFixed(2)} MB, over ${LIMIT / 1e6} MB (heaviest: ${top})`);
    }
  },
  report(ctx) {
    const mb = (n) => (n / 1e6).toFixed(2).padStart(5) + " MB";
    weights.sort((a, b) => b[1] - a[1]);
    writeFileSync(path.join(ctx.build, "site-weights.json"), JSON.stringify(weights, null, 1));
    return ["page weights, first visit (uncompressed):",
      ...weights.slice(0, 8).map(([page, total, sizes]) =>
        `  ${page.padEnd(42)} ${mb(total)}  ${sizes.length} requests; ` +
        sizes.slice(0, 3).map(([u, n]) => `${u.split("/").pop()} ${(n / 1e6).toFixed(2)}`).join(", ")),
      `  ... ${weights.length} pages, lightest ${mb(weights.at(-1)?.[1] || 0)}`];
  },
};
