// Look at a part of a page as a reader would: a screenshot of the first element matching a
// selector (or the full page), at a mode of check.mjs.
//   node .ci/site/shoot.mjs PAGE MODE SELECTOR|full OUT.png [--html _build/html] [--nth N]
//   node .ci/site/shoot.mjs PAGE MODE - - --eval 'JS expression'   (prints its value)
import { chromium } from "playwright-core";
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const [page, mode, selector, out, ...rest] = process.argv.slice(2);
const opt = Object.fromEntries(rest.reduce((a, x, i, all) => (x.startsWith("--") && a.push([x.slice(2), all[i + 1]]), a), []));
const html = path.resolve(here, "../..", opt.html || "_build/html");
const MODES = {
  desktop: { viewport: { width: 1280, height: 800 }, colorScheme: "light" },
  phone: { viewport: { width: 390, height: 844 }, colorScheme: "light", deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  dark: { viewport: { width: 1280, height: 800 }, colorScheme: "dark" },
};
const server = createServer(async (req, res) => {
  let file = path.join(html, decodeURIComponent(new URL(req.url, "http://x").pathname));
  try {
    if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
    const type = { ".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".woff2": "font/woff2", ".woff": "font/woff", ".png": "image/png" }[path.extname(file)];
    res.writeHead(200, type ? { "content-type": type } : {}).end(await readFile(file));
  } catch { res.writeHead(404).end(); }
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"], ignoreDefaultArgs: ["--hide-scrollbars"] });
const context = await browser.newContext(MODES[mode]);
await context.route("**/*", (r) => r.request().url().startsWith("http://127.0.0.1") || r.request().url().startsWith("data:") ? r.continue() : r.abort());
const tab = await context.newPage();
await tab.goto(`http://127.0.0.1:${server.address().port}/${page}`, { waitUntil: "load" });
await tab.evaluate(async () => { for (let i = 0; i < 100 && !window.MathJax?.startup?.promise; i++) await new Promise((ok) => setTimeout(ok, 50)); if (window.MathJax?.startup?.promise) await window.MathJax.startup.promise; });
await tab.waitForTimeout(300);
if (opt.eval) console.log(JSON.stringify(await tab.evaluate(opt.eval), null, 1));
else if (selector === "full") await tab.screenshot({ path: out, fullPage: true });
else {
  const el = tab.locator(selector).nth(Number(opt.nth || 0));
  await el.scrollIntoViewIfNeeded();
  await tab.waitForTimeout(200);
  await el.screenshot({ path: out });
}
await browser.close(); server.close();
