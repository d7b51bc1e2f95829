// The ipywidgets HTML manager typesets widget labels with MathJax 2's API,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]). The book ships MathJax 3, which
// has no Hub: give it one that forwards the element to MathJax.typesetPromise.
(function () {
  function install() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : null;
        var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
        ready.then(function () {
          if (element && mj.typesetPromise) return mj.typesetPromise([element]);
        }).catch(function (err) { console.warn("MathJax could not typeset a widget label", err); });
      }
    };
  }
  install();
  document.addEventListener("DOMContentLoaded", install);
})();
