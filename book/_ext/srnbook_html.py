"""The book's own Sphinx hooks for its HTML pages (``_config.yml`` loads this as a local
extension): two remove a console error a reader's browser would otherwise log, one
marks the boxes that scroll sideways, and one stylesheet holds the book's few style rules."""


def unique_scripts(app, pagename, templatename, context, doctree):
    """List each script once: sphinx-thebe adds its inline configuration (``const
    THEBE_JS_URL = ...``) once per read of the sources, and a second ``const`` of the same
    name is a SyntaxError in the browser."""
    seen, unique = set(), []  # (the second copy has filename "" where the first has None)
    for js in context.get("script_files", []):
        key = (str(js.filename or ""), js.attributes.get("body"))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    if "script_files" in context:
        context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    # The widget manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue);
    # the book ships MathJax 3: the shim forwards those calls to MathJax.typesetPromise.
    app.add_js_file("mathjax2-shim.js")
    # Shadows on the sides of a wide equation or table that scrolls (phones hide scrollbars).
    app.add_js_file("scroll-cues.js")
    app.add_css_file("srnbook.css")  # the book's few style rules
    return {"parallel_read_safe": True, "parallel_write_safe": True}
