"""Self-contained pages for the browser (the review page, clusters.html): one HTML file that opens from
file:// with no server, and that cannot send report text anywhere.

The Content-Security-Policy allows the page's own inline style and script by their hashes and nothing else:
no connection, image, font, frame or form target, so even an injected script could not phone home. The
page's data travels as JSON in a non-executed script block, escaped so no text in it can close the block.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
from importlib.resources import files

# Fonts that hold Chinese on each system, before the generic family: Windows, macOS, Linux (Noto/Source Han,
# WenQuanYi). Kept in html_page.css; named here for the tests and the README.
FONT_STACK = ('"Segoe UI", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", '
              '"Source Han Sans SC", "WenQuanYi Micro Hei", system-ui, sans-serif')


def asset(package: str, name: str) -> str:
    """A template shipped inside `package` (a .js, .css or .html data file)."""
    return files(package).joinpath(name).read_text(encoding="utf-8")


def json_block(data: object) -> str:
    """JSON that may sit inside <script type="application/json">: no '<' (so no '</script>' or '<!--'), '>' or
    '&' appears literally, nor the two line separators some parsers take for line ends."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                          ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def policy(style: str, script: str) -> str:
    """Everything forbidden but this page's own style and script (by hash)."""
    return (f"default-src 'none'; style-src {_sha256(style)}; script-src {_sha256(script)}; connect-src 'none'; "
            "img-src 'none'; font-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; "
            "worker-src 'none'; manifest-src 'none'; form-action 'none'; base-uri 'none'")


def page(title: str, body: str, styles: list[str], scripts: list[str], data: object, generator: str,
         lang: str = "en") -> str:
    """The whole document: `body` is trusted markup (every piece of report text in it already escaped), `data`
    goes to the scripts as JSON in <script id="data">, read with `pageData()` (html_page.js); `generator` names
    the command that wrote it, near the top, so the command can tell its own page from a user's file."""
    style = "\n".join([asset("cxrlabel", "html_page.css"), *styles])
    script = "\n".join([asset("cxrlabel", "html_page.js"), *scripts])
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="generator" content="{html.escape(generator)}">'
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy(style, script), quote=False)}">'
            '<meta name="referrer" content="no-referrer">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>'
            f"<style>{style}</style></head><body>{body}"
            f'<script type="application/json" id="data">{json_block(data)}</script>'
            f"<script>{script}</script></body></html>\n")
