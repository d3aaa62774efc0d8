// Every image loads, and every image says what it shows: no empty alt text and no alt text that
// is a file name (what MyST-NB writes when a figure cell has no mystnb.image.alt metadata).
// An image marked decorative (role="presentation"/"none" or aria-hidden) may have alt="".
// In dark mode, a figure must be opaque: black axes on a transparent background vanish on the
// dark page (its four corners are read back through a canvas).
export default {
  name: "images",
  async run(tab, ctx) {
    const problems = await tab.evaluate((dark) => {
      const { describe, visible } = window.__isolearn;
      const out = [];
      const fileName = /(^|\/)[^\s/]+\.(png|jpe?g|gif|svg|webp)$|_images\/|^data:image/i;
      for (const img of document.querySelectorAll("img")) {
        const name = describe(img) + ` src=${(img.getAttribute("src") || "").slice(0, 60)}`;
        if (visible(img) && (!img.complete || img.naturalWidth === 0)) out.push([name, "image did not load"]);
        const decorative = ["presentation", "none"].includes(img.getAttribute("role")) ||
          img.getAttribute("aria-hidden") === "true";
        const alt = img.getAttribute("alt");
        if (alt === null) out.push([name, "image has no alt attribute"]);
        else if (!alt.trim() && !decorative) out.push([name, "image has empty alt text"]);
        else if (fileName.test(alt.trim())) out.push([name, `alt text is a file name: ${JSON.stringify(alt.slice(0, 80))}`]);
        if (dark && img.naturalWidth && img.closest(".cell_output, figure")) {
          const [w, h] = [img.naturalWidth, img.naturalHeight];
          const canvas = Object.assign(document.createElement("canvas"), { width: w, height: h });
          const g = canvas.getContext("2d");
          g.drawImage(img, 0, 0);
          // 2 px in: an SVG of fractional size has a half-covered last row of pixels
          const corners = [[2, 2], [w - 3, 2], [2, h - 3], [w - 3, h - 3]];
          if (corners.some(([x, y]) => g.getImageData(x, y, 1, 1).data[3] < 250)) {
            out.push([name, "figure has a transparent background: its dark ink vanishes on the dark page"]);
          }
        }
      }
      return out;
    }, ctx.mode === "dark");
    for (const [element, message] of problems) ctx.fail(element, message);
  },
};
