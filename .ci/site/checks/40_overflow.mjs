// Nothing is cut off and nothing pushes the page sideways:
//  - the page is wider than the viewport (it scrolls sideways): fail, naming the widest
//    element that sticks out;
//  - a box with overflow hidden/clip holds more than it shows (scrollWidth > clientWidth):
//    the rest is invisible: fail;
//  - a box with overflow auto/scroll holds more than it shows: it scrolls, which is fine if
//    the reader can see that it does (it draws a scrollbar that takes room, not an overlay
//    that shows only while scrolling), except at desktop widths for tables and output text
//    (printed lines, error messages): there they must fit, as a table column or the end of an
//    error message must not hide behind a scrollbar.
export default {
  name: "overflow",
  applies: (p) => p.mode !== "dark",  // dark mode changes colours, not the layout
  async run(tab, ctx) {
    const desktop = ctx.mode !== "phone";
    const problems = await tab.evaluate((desktop) => {
      const { describe, visible } = window.__isolearn;
      const out = [];
      const viewport = document.documentElement.clientWidth;
      const skip = "mjx-assistive-mml, .visually-hidden, .sr-only, [aria-hidden='true'], script, style, template";
      const name = (el) => describe(el).split(" \"")[0];
      const mustFit = (el) => el.closest("table, .cell_output .output.text_plain, .cell_output .output.stream, " +
                                         ".cell_output .output.stderr, .cell_output .output.traceback");
      // The widest visible descendant beyond a box's right edge (what the reader misses).
      const widest = (box, right) => {
        let best = null, by = 1;
        for (const el of box.querySelectorAll("*")) {
          if (el.closest(skip)) continue;  // MathJax's hidden MathML copy is meant to be off-screen
          const r = el.getBoundingClientRect();
          if (r.width && r.right - right > by) { best = el; by = r.right - right; }
        }
        return [best, Math.round(by)];
      };
      const text = (box) => [...box.childNodes].some((n) => n.nodeType === 3 && n.nodeValue.trim());
      const main = document.querySelector(".bd-container") || document.body;
      for (const box of [main, ...main.querySelectorAll("*")]) {
        if (box.closest(skip) || box.scrollWidth <= box.clientWidth + 1 || !box.clientWidth) continue;
        const style = getComputedStyle(box);
        const ox = style.overflowX;
        if (ox === "visible" || !visible(box)) continue;
        const right = box.getBoundingClientRect().left + parseFloat(style.borderLeftWidth) + box.clientWidth;
        const [what, past] = widest(box, right);
        if (!what && !text(box)) continue;  // only hidden helpers overflow
        const by = what ? past : box.scrollWidth - box.clientWidth;
        const at = what ? `${describe(what)} in ${name(box)}` : name(box);
        if (ox === "hidden" || ox === "clip") {
          out.push([at, `${by} px cut off (overflow: ${ox})`]);
        } else if (desktop && (mustFit(box) || box.querySelector(":scope > table"))) {
          out.push([at, `${by} px wider than its column: this ${box.querySelector("table") || box.closest("table") ? "table" : "output"} hides its right part behind a scrollbar at ${viewport} px`]);
        } else {
          const bar = box.offsetHeight - box.clientHeight - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
          if (bar < 3) out.push([at, `${by} px wider than its scroll box, which shows no scrollbar`]);
        }
      }
      // The page itself: elements sticking out beyond the viewport with no box to hold them.
      if (document.documentElement.scrollWidth > viewport + 1) {
        let best = null, by = 1;
        for (const el of main.querySelectorAll("*")) {
          if (el.closest(skip)) continue;
          const r = el.getBoundingClientRect();
          if (r.width && r.right - viewport > by && visible(el)) { best = el; by = r.right - viewport; }
        }
        out.push([best ? describe(best) : "html", `${Math.round(by)} px wider than the ${viewport} px viewport: the page scrolls sideways`]);
      }
      return out;
    }, desktop);
    for (const [element, message] of problems) ctx.fail(element, message);
  },
};
