// Nothing is cut off and nothing pushes the page sideways. For every visible element that is
// wider than the box that clips it (its nearest ancestor with overflow-x other than visible):
//  - no such ancestor: it is wider than the viewport and the whole page scrolls sideways: fail;
//  - overflow hidden/clip: the overflowing part is invisible: fail;
//  - overflow auto/scroll: it scrolls, which is fine if the reader can see that it does (the
//    box draws a scrollbar that takes room, not an overlay that shows only while scrolling),
//    except at desktop widths for tables and output text (printed lines, error messages):
//    there they must fit, as a table column or the end of an error message must not hide
//    behind a scrollbar.
// One failure per box (the page, or the clipping box), naming its widest overflowing element.
export default {
  name: "overflow",
  applies: (p) => p.mode !== "dark",  // dark mode changes colours, not the layout
  async run(tab, ctx) {
    const desktop = ctx.mode !== "phone";
    const problems = await tab.evaluate((desktop) => {
      const { describe, visible } = window.__isolearn;
      const viewport = document.documentElement.clientWidth;
      const clipper = new Map();  // element -> its nearest clipping ancestor (or null)
      const clipOf = (el) => {
        const parent = el.parentElement;
        if (!parent || parent === document.documentElement) return null;
        if (clipper.has(parent)) return clipper.get(parent);
        const c = getComputedStyle(parent).overflowX !== "visible" ? parent : clipOf(parent);
        clipper.set(parent, c);
        return c;
      };
      const mustFit = (el) => el.closest("table, .cell_output .output.text_plain, .cell_output .output.stream, " +
                                         ".cell_output .output.stderr, .cell_output .output.traceback");
      const worst = new Map();  // key (clip box, kind) -> [by, element, message]
      const main = document.querySelector(".bd-container") || document.body;
      for (const el of main.querySelectorAll("*")) {
        if (el.closest("mjx-assistive-mml, .visually-hidden, .sr-only, [aria-hidden='true'], script, style, template")) continue;
        const rect = el.getBoundingClientRect();
        if (rect.width === 0 || rect.height === 0) continue;
        const clip = clipOf(el);
        let limit = viewport;
        if (clip) {
          if (clip.scrollLeft) continue;  // scrolled on purpose
          limit = clip.getBoundingClientRect().left + parseFloat(getComputedStyle(clip).borderLeftWidth) + clip.clientWidth;
        }
        const by = Math.round(rect.right - limit);
        if (by <= 1 || !visible(el)) continue;
        const ox = clip ? getComputedStyle(clip).overflowX : "visible";
        let message;
        const box = clip ? describe(clip).split(" \"")[0] : "";
        if (!clip) {
          message = `wider than the ${viewport} px viewport: the page scrolls sideways`;
        } else if (ox === "hidden" || ox === "clip") {
          message = `cut off (overflow: ${ox} on ${box})`;
        } else if (desktop && mustFit(el)) {
          message = `wider than its column: this ${el.closest("table") ? "table" : "output"} hides its right part behind a scrollbar at ${viewport} px`;
        } else {
          const s = getComputedStyle(clip);
          const bar = clip.offsetHeight - clip.clientHeight - parseFloat(s.borderTopWidth) - parseFloat(s.borderBottomWidth);
          if (bar >= 3) continue;  // a scroll box that shows its scrollbar
          message = `wider than its scroll box ${box}, which shows no scrollbar`;
        }
        const key = message.split(":")[0] + "|" + (clip ? box + clip.getBoundingClientRect().top : "page");
        if (!worst.has(key) || worst.get(key)[0] < by) worst.set(key, [by, describe(el), message]);
      }
      return [...worst.values()].map(([by, element, message]) => [element, `${by} px ${message}`]);
    }, desktop);
    for (const [element, message] of problems) ctx.fail(element, message);
  },
};
