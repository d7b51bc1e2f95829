// A display equation or a table wider than the text column scrolls sideways in its own
// box. Phones hide scrollbars until touched, so such a box is marked (class srn-scrolls),
// and on each side where content is hidden (srn-more-left, srn-more-right) srnbook.css
// fades the content out.
(function () {
  var BOXES = 'div.math mjx-container[display="true"], .pst-scrollable-table-container';

  function mark(box) {
    var more = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("srn-scrolls", more);
    box.classList.toggle("srn-more-left", more && box.scrollLeft > 0);
    box.classList.toggle("srn-more-right",
      more && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
  }

  function markAll() {
    document.querySelectorAll(BOXES).forEach(mark);
  }

  document.addEventListener("scroll", function (event) {
    if (event.target.matches && event.target.matches(BOXES)) mark(event.target);
  }, true);
  window.addEventListener("resize", markAll);
  window.addEventListener("load", function () {
    markAll();
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(markAll);
  });
  // dropdowns (solutions, provenance boxes) show their content only when opened
  document.addEventListener("toggle", markAll, true);
  document.addEventListener("click", function () { setTimeout(markAll, 50); });
})();
