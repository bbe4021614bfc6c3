"""Cleaning of untrusted text at the boundary where it enters desk.

Everything stored as HTML went through `clean_html`; everything else is plain
text that templates autoescape. Allow-lists are named and small on purpose.
"""

import html
import re

import bleach
from bleach.html5lib_shim import HTML_TAGS_BLOCK_LEVEL

MESSAGE_TAGS = frozenset({
    "a", "b", "blockquote", "br", "code", "em", "i", "li", "ol", "p", "pre", "strong", "ul",
})
MESSAGE_ATTRIBUTES = {"a": ["href", "title"]}
MESSAGE_PROTOCOLS = frozenset({"http", "https", "mailto"})

_BLOCK_END = re.compile(r"</(p|div|li|blockquote|pre|h[1-6])\s*>|<br\s*/?>", re.IGNORECASE)
# A start or end tag as the HTML tokenizer reads one (a letter right after "<" or "</",
# attributes unquoted, or quoted with either quote, which may hold ">"), or a comment.
_TAG_OR_COMMENT = re.compile(
    r"<!--.*?-->"
    r"""|<(/?)([A-Za-z][^\s/>]*)(?:\s+[^\s/>"'=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*\s*/?>""",
    re.DOTALL,
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every link bleach.linkify finds has a scheme ("://") or a dot before a top-level domain
# of two or more letters; text with neither holds no link.
_LINK_HINT = re.compile(r"://|\.[^\W\d_]{2}")


def strip_control(text: str) -> str:
    """Drop control characters (NUL and friends) that no screen or database wants."""
    return _CONTROL.sub("", text)


def clean_html(untrusted: str, protocols: frozenset[str] = MESSAGE_PROTOCOLS) -> str:
    """Reduce HTML to the message allow-list; everything else is dropped or escaped.

    Script, style and iframe contents go entirely; event handlers, `javascript:`
    URLs, SVG and MathML are not in the allow-list so they cannot survive.
    `protocols` may widen the link schemes (canned replies keep `faq:` links).
    """
    untrusted = strip_control(untrusted)
    # bleach keeps the text inside removed tags; for these the text itself is the payload.
    untrusted = re.sub(
        r"<(script|style|iframe|object|embed|svg|math|template|noscript)\b.*?</\1\s*>",
        "",
        untrusted,
        flags=re.IGNORECASE | re.DOTALL,
    )
    cleaned = bleach.clean(
        untrusted,
        tags=MESSAGE_TAGS,
        attributes=MESSAGE_ATTRIBUTES,
        protocols=protocols,
        strip=True,
        strip_comments=True,
    )
    return bleach.linkify(cleaned, callbacks=[_external_link], parse_email=False)


def _external_link(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = "nofollow noopener noreferrer"
    attrs[(None, "target")] = "_blank"
    return attrs


def html_to_text(cleaned_html: str) -> str:
    """Plain text of already cleaned HTML: line breaks kept, tags and entities gone.

    Cleaned HTML is well-formed (html5lib serialised it: a `<` in text is `&lt;`,
    attribute values are quoted), so a tag is found by its grammar alone; parsing it
    once more with bleach cost a tenth of an intake worker's time. tests/test_sanitize.py
    compares both on the shared corpus and on hostile markup.
    """
    text = _BLOCK_END.sub("\n", cleaned_html)
    text = _TAG_OR_COMMENT.sub(_tag_as_text, text)
    text = html.unescape(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _tag_as_text(match: re.Match[str]) -> str:
    # As bleach strips a tag: a block-level start tag reads as a line break, all else as
    # nothing (a break at the very start goes with the final strip()).
    is_start, name = not match.group(1), match.group(2)
    return "\n" if is_start and name and name.lower() in HTML_TAGS_BLOCK_LEVEL else ""


def text_to_html(text: str) -> str:
    """HTML for plain text: escaped, paragraphs and line breaks kept, links made clickable."""
    text = strip_control(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [p for p in re.split(r"\n{2,}", text) if p.strip()]
    body = "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
    if not _LINK_HINT.search(text):
        return body  # nothing linkify could turn into a link; it is the costly part
    return bleach.linkify(body, callbacks=[_external_link], parse_email=False)


def clean_line(untrusted: str | None, limit: int) -> str:
    """One line of plain text (a name, a handle, a subject): no controls, no newlines."""
    if not untrusted:
        return ""
    line = _SPACES.sub(" ", strip_control(untrusted).replace("\n", " ")).strip()
    return line[:limit]


def safe_url(untrusted: str | None) -> str | None:
    """An http(s) URL, or None: a `javascript:` or `data:` link never reaches a page."""
    if not untrusted:
        return None
    url = strip_control(untrusted).strip()
    if re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE) and len(url) <= 2000:
        return url
    return None
