// The site works offline and loads everything it asks for: a request that leaves the local
// server (a font CDN, a tracker) is blocked and reported, and so is a local file that fails.
export default {
  name: "network",
  async setup(tab, ctx) {
    await tab.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(ctx.base) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      ctx.fail(route.request().resourceType(), `request to another site (the site must work offline): ${url}`);
      return route.abort("blockedbyclient");
    });
    tab.on("requestfailed", (req) => {
      if (req.url().startsWith(ctx.base)) ctx.fail(req.resourceType(), `failed to load ${req.url().slice(ctx.base.length)}: ${req.failure()?.errorText}`);
    });
    tab.on("response", (res) => {
      if (res.status() >= 400 && res.url().startsWith(ctx.base)) {
        ctx.fail(res.request().resourceType(), `HTTP ${res.status()} for ${res.url().slice(ctx.base.length)}`);
      }
    });
  },
};
