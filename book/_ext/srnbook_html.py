"""The book's own Sphinx hooks for its HTML pages (``_config.yml`` loads this as a local
extension): two remove a console error a reader's browser would otherwise log, one
marks the boxes that scroll sideways, one stylesheet holds the book's few style rules, and
one moves the frames of saved widgets out of the pages into image files."""

import base64
import hashlib
import json
import os
import re
from pathlib import Path


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


WIDGET_STATE = re.compile(r'(<script type="application/vnd.jupyter.widget-state\+json">)(.*?)(</script>)', re.S)


def frames_as_files(app, exception):
    """Move the images of saved widgets (a frame slider's frames) out of the pages: each PNG
    is written once to ``_images/widgets/<sha1>.png`` and its ImageModel switched to
    ``format="url"``, whose value is the image's address (ipywidgets' Image reads a URL
    from its value when the format is "url"). A page keeps kilobytes of widget state
    instead of its frames in base64, and the browser loads each frame as a file, cached."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    folder = out / "_images" / "widgets"
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        match = WIDGET_STATE.search(text)
        if not match:
            continue
        state = json.loads(match.group(2))
        changed = False
        for model in state.get("state", {}).values():
            if model.get("model_name") != "ImageModel" or model["state"].get("format") == "url":
                continue
            buffers = [b for b in model.get("buffers", []) if b.get("path") == ["value"]]
            if len(buffers) != 1 or buffers[0].get("encoding") != "base64":
                continue
            data = base64.b64decode(buffers[0]["data"])
            name = hashlib.sha1(data).hexdigest()[:20] + "." + model["state"].get("format", "png")
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / name).exists():
                (folder / name).write_bytes(data)
            url = os.path.relpath(folder / name, page.parent).replace(os.sep, "/")
            buffers[0]["data"] = base64.b64encode(url.encode()).decode()
            model["state"]["format"] = "url"
            changed = True
        if changed:
            saved = json.dumps(state, separators=(",", ":")).replace("</", "<\\/")
            page.write_text(text[:match.start(2)] + saved + text[match.end(2):], encoding="utf-8")


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    # The widget manager typesets widget labels with MathJax 2's API (MathJax.Hub.Queue);
    # the book ships MathJax 3: the shim forwards those calls to MathJax.typesetPromise.
    app.add_js_file("mathjax2-shim.js")
    # Shadows on the sides of a wide equation or table that scrolls (phones hide scrollbars).
    app.add_js_file("scroll-cues.js")
    app.add_css_file("srnbook.css")  # the book's few style rules
    app.connect("build-finished", frames_as_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
