// Tell require.js where the anywidget front end lives (beside this file), so the
// ipywidgets HTML manager loads it from the book instead of from a CDN.
(function () {
  var src = document.currentScript.src;
  var base = src.slice(0, src.lastIndexOf("/") + 1);
  window.requirejs.config({ paths: { anywidget: base + "index" } });
})();
