/* isolearn: keyboard access to the boxes that scroll sideways (a long formula on a phone). A
   box that scrolls must be focusable, so that a keyboard can scroll it (WCAG 2.1.1; axe:
   scrollable-region-focusable); the theme does the same for code and outputs. */
(function () {
  var boxes = [".bd-content div.math", ".bd-content span.math",
               '.bd-content mjx-container[display="true"]'].join(", ");
  function tabStops() {
    document.querySelectorAll(boxes).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
      else box.removeAttribute("tabindex");
    });
  }
  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(tabStops, 200);
  });
  window.addEventListener("load", function () {
    var typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    (typeset || Promise.resolve()).then(tabStops);
  });
})();
