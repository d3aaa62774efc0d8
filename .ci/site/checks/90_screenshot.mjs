// The first screen of every page, as a reader sees it: _build/screenshots/<mode>/<page>.png
// (look at them; the other checks cannot tell an ugly page from a good one).
import { mkdir } from "node:fs/promises";
import path from "node:path";

export default {
  name: "screenshot",
  async run(tab, ctx) {
    const dir = path.join(ctx.build, "screenshots", ctx.mode);
    await mkdir(dir, { recursive: true });
    const name = ctx.path.replace(/\.html$/, "").replaceAll("/", "__") + ".png";
    await tab.screenshot({ path: path.join(dir, name) });
  },
};
