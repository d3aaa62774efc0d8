// The website as readers get it: open every page of _build/html in headless Chromium, at a desktop
// width, at a phone width and in dark mode, and run every check in checks/*.mjs on it.
//
//   node .ci/site/check.mjs [--html _build/html] [--only PATTERN] [--modes desktop,phone,dark]
//                           [--jobs 4]
//
// Prints every failure as "page [mode] check: element: message", writes them all to
// _build/site-check.json, saves each page's first screen under _build/screenshots/<mode>/, and
// exits 1 when anything failed.
//
// Adding a check: drop a module into checks/ that default-exports
//   { name: "quiz",                          // shown in the failure lines
//     applies: (page) => boolean,            // optional: page = { path, mode, chapter }
//     setup: async (tab, ctx) => {},         // optional: before the page loads (listeners)
//     run: async (tab, ctx) => {},           // after it loaded and MathJax finished
//     report: ({ build }) => ["lines"] }     // optional: printed once, after all pages
// and call ctx.fail(element, message) for every problem (element: a string naming it, e.g.
// from window.__isolearn.describe(el) in the page). Checks run in file-name order.

import { readdir, writeFile, readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => {
    if (a.startsWith("--")) pairs.push([a.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const html = path.resolve(root, args.html || "_build/html");
const build = path.dirname(html);
const only = args.only ? new RegExp(args.only) : null;

// The three ways the review looked at the site. The dark mode uses the theme's "auto" mode
// (prefers-color-scheme), what a reader with a dark desktop gets on a first visit.
export const MODES = {
  desktop: { viewport: { width: 1280, height: 800 }, colorScheme: "light" },
  phone: { viewport: { width: 390, height: 844 }, colorScheme: "light", deviceScaleFactor: 2,
           isMobile: true, hasTouch: true },
  dark: { viewport: { width: 1280, height: 800 }, colorScheme: "dark" },
};
const modes = (args.modes || Object.keys(MODES).join(",")).split(",");

// Flags that keep Chromium quiet on a closed network (no update, sync, QUIC or prefetch
// traffic). playwright-core adds --headless and a fresh temporary --user-data-dir per launch
// (deleted at close); it refuses a --user-data-dir of our own in launch().
const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
];

const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg", ".gif": "image/gif", ".woff": "font/woff", ".woff2": "font/woff2",
  ".ttf": "font/ttf", ".json": "application/json", ".ico": "image/x-icon", ".txt": "text/plain",
  ".ipynb": "application/json", ".map": "application/json",
};

// Serve _build/html over http (as a host would): file:// pages behave differently (no fetch of
// the search index, other CORS rules).
function serve(dir) {
  const server = createServer(async (req, res) => {
    let p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = path.join(dir, p);
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": MIME[path.extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

// A page that only redirects (Jupyter Book's index.html): check that its target exists, and
// leave the browser checks to the target.
const REDIRECT = /<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"/i;
const redirectFailures = [];

async function pages(dir) {
  const found = [];
  async function walk(d) {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!["_static", "_sources", "_images", "_sphinx_design_static", "_panels_static"].includes(e.name)) await walk(p);
      } else if (e.name.endsWith(".html")) {
        const target = (await readFile(p, "utf8")).match(REDIRECT)?.[1];
        if (!target) found.push(path.relative(dir, p));
        else if (!(await stat(path.join(path.dirname(p), target)).catch(() => null))) {
          redirectFailures.push({ page: path.relative(dir, p), mode: "-", check: "redirect", element: "meta refresh", message: `redirects to ${target}, which does not exist` });
        }
      }
    }
  }
  await walk(dir);
  return found.sort().filter((p) => !only || only.test(p));
}

async function loadChecks() {
  const dir = path.join(here, "checks");
  const files = (await readdir(dir)).filter((f) => f.endsWith(".mjs")).sort();
  return Promise.all(files.map(async (f) => ({ file: f, ...(await import(path.join(dir, f))).default })));
}

// Wait until the page is what a reader sees: MathJax has typeset, fonts and images are in.
async function settle(tab) {
  await tab.evaluate(async () => {
    const until = (ms) => new Promise((ok) => setTimeout(ok, ms));
    if (document.querySelector(".math, span.math, div.math")) {
      for (let i = 0; i < 100 && !window.MathJax?.startup?.promise; i++) await until(50);
      if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise;
    }
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map((img) => img.complete ? null :
      new Promise((ok) => { img.onload = img.onerror = ok; setTimeout(ok, 5000); })));
    await document.fonts.ready;
  });
}

async function main() {
  const started = Date.now();
  const checks = await loadChecks();
  const list = await pages(html);
  if (!list.length) throw new Error(`no pages in ${html}: run make book first`);
  const server = await serve(html);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    // Real scrollbars, as readers on Linux and Windows see them (Playwright hides them by
    // default), so that the overflow check can tell a scroll box that shows it scrolls.
    ignoreDefaultArgs: ["--hide-scrollbars"],
  });
  const inpage = await readFile(path.join(here, "inpage.js"), "utf8");
  const failures = [...redirectFailures];
  const spent = {};  // check name -> milliseconds, summed over pages (the pages run in parallel)

  async function checkPage(mode, rel) {
    // A fresh context per page: a first visit (empty cache and storage), as the weights and
    // the theme's first-visit code paths need.
    const context = await browser.newContext({ ...MODES[mode], serviceWorkers: "block" });
    await context.addInitScript(inpage);
    const chapter = /^notebooks\/\d\d_/.test(rel);
    const pageInfo = { path: rel, mode, chapter };
    const mine = checks.filter((c) => !c.applies || c.applies(pageInfo));
    const tab = await context.newPage();
    const shared = { ...pageInfo, base, url: base + rel, html, build, root, here, state: {} };
    // Each check gets the shared context (state: a scratch object all checks of this page
    // share) and its own fail().
    const bound = (c) => ({
      ...shared, check: c.name,
      fail: (element, message) => failures.push({ page: rel, mode, check: c.name, element, message }),
    });
    for (const c of mine) if (c.setup) await c.setup(tab, bound(c));
    try {
      const t0 = Date.now();
      await tab.goto(shared.url, { waitUntil: "load", timeout: 60000 });
      await settle(tab);
      spent.load = (spent.load || 0) + Date.now() - t0;
    } catch (e) {
      failures.push({ page: rel, mode, check: "load", element: rel, message: String(e).split("\n")[0] });
    }
    for (const c of mine) {
      const t0 = Date.now();
      try {
        if (c.run) await c.run(tab, bound(c));
        spent[c.name] = (spent[c.name] || 0) + Date.now() - t0;
      } catch (e) {
        failures.push({ page: rel, mode, check: c.name, element: "(the check itself)", message: String(e).split("\n")[0] });
      }
    }
    await context.close();
  }

  // Pages in parallel, `--jobs` at a time (default 4): each mostly waits for the browser.
  const jobs = modes.flatMap((mode) => list.map((rel) => [mode, rel]));
  const workers = Array.from({ length: Number(args.jobs || 4) }, async () => {
    while (jobs.length) await checkPage(...jobs.shift());
  });
  await Promise.all(workers);
  failures.sort((x, y) => modes.indexOf(x.mode) - modes.indexOf(y.mode) || x.page.localeCompare(y.page));
  await browser.close();
  server.close();

  for (const c of checks) if (c.report) console.log(c.report({ html, build, root }).join("\n"));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  await writeFile(path.join(build, "site-check.json"), JSON.stringify(failures, null, 1));
  const byCheck = {};
  for (const f of failures) {
    console.log(`FAIL ${f.page} [${f.mode}] ${f.check}: ${f.element}: ${f.message}`);
    byCheck[f.check] = (byCheck[f.check] || 0) + 1;
  }
  console.log(`\nsite check: ${list.length} pages x ${modes.length} modes (${modes.join(", ")}), ` +
              `${checks.length} checks (${checks.map((c) => c.name).join(", ")}) in ${seconds} s`);
  console.log("time per check, summed over pages: " + Object.entries(spent).sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(0)} s`).join(", "));
  if (failures.length) {
    console.log(`${failures.length} failures: ` + Object.entries(byCheck).map(([k, v]) => `${k} ${v}`).join(", "));
    console.log(`details: ${path.relative(root, path.join(build, "site-check.json"))}; ` +
                `screenshots: ${path.relative(root, path.join(build, "screenshots"))}/`);
    process.exit(1);
  }
  console.log("no failures");
}

main().catch((e) => { console.error(e); process.exit(2); });
