"""The template dialect of canned replies: checked at save, rendered in a sandbox.

A canned reply body is HTML with Jinja tags, but only a small part of Jinja:

- placeholders `{{ contact.first_name }}` (see PLACEHOLDERS), `{{ today }}`,
  `{{ in_days(3) }}` (a date, in the language of the reply);
- prompted variables `{{ ask.tracking_number }}`: the agent fills them at insertion;
- fallbacks `{{ contact.first_name or "there" }}` or `|default("there")`, and
  `{% if %}...{% elif %}...{% else %}...{% endif %}` with `==`, `!=`, `and`, `or`, `not`;
- the filters in FILTERS.

Anything else (loops, `set`, macros, includes, arithmetic, indexing, attributes of
anything but a placeholder, unknown names) is refused at save with its line
(`check()`). Rendering happens in an ImmutableSandboxedEnvironment that also caps
string sizes, output length and time, so even a template that never went through
`check()` cannot run away. A value that is missing (the contact has no name, the
agent did not fill `ask.x`) is reported in `Rendered.missing`, never rendered blank.
"""

import html
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from desk.sanitize import MESSAGE_PROTOCOLS, clean_html, html_to_text

# The names a template may use, by object; `ask.<name>` is any lower-case identifier.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "contact": ("name", "first_name", "handle"),
    "agent": ("name", "first_name", "signature"),
    "ticket": ("number", "subject", "channel", "created"),
}
VALUES = ("today",)
FUNCTIONS = ("in_days",)
ASK = "ask"
ASK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FILTERS = ("capitalize", "d", "date", "default", "lower", "title", "trim", "upper")
DATE_FORMATS = ("short", "medium", "long", "full")

# Links to FAQ entries are written `<a href="faq:slug">`; see `faq_url`.
CANNED_PROTOCOLS = MESSAGE_PROTOCOLS | {"faq"}

MAX_SOURCE = 20_000  # characters of one body as typed
MAX_DEPTH = 30  # nesting of the template's syntax tree
MAX_CONST = 500  # characters of a string literal
MAX_VALUE = 500  # characters of a value the agent fills in
MAX_STRING = 20_000  # any string built while rendering
MAX_OUTPUT = 40_000  # characters of rendered output
MAX_SECONDS = 0.25  # wall time of one rendering
MAX_DAYS = 3660  # in_days(n): about ten years either way

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_BLOCK = re.compile(r"<\s*/?\s*(p|br|ul|ol|li|blockquote|pre)\b", re.IGNORECASE)
_SET_ASIDE = "\ue000{}\ue001"  # private-use marks: never in real text
_FAQ_LINK = re.compile(r'<a href="faq:([a-z0-9][a-z0-9-]{0,79})"[^>]*>(.*?)</a>', re.DOTALL)
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
_AUTO_LINK = re.compile(r'<a href="([^"]*)" rel="nofollow noopener noreferrer" '
                        r'target="_blank">(.*?)</a>', re.DOTALL)
_ANY_TAG = re.compile(r"<\s*/?\s*([a-zA-Z0-9]+)")


def faq_url(slug: str) -> str | None:
    """The public URL of the FAQ entry `slug`: the hook the FAQ capability fills in.

    Until then every `faq:` link is reported missing, so none is sent dead.
    """
    return None


# -- storing ----------------------------------------------------------------------------


def to_stored_html(raw: str) -> str:
    """Clean a body as typed (HTML, or plain text) and keep its template tags as text.

    The tags are set aside before cleaning (the cleaner would mangle `<`, `&` and
    quotes in them) and put back HTML-escaped, so the stored HTML is inert
    wherever it is shown; `to_source()` undoes the escaping inside the tags.
    """
    tags: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        tags.append(match.group())
        return _SET_ASIDE.format(len(tags) - 1)

    protected = _TAG.sub(set_aside, raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not _BLOCK.search(protected):
        # Text, perhaps with inline tags: blank lines make paragraphs, newlines breaks.
        protected = "".join(
            "<p>" + paragraph.strip().replace("\n", "<br>") + "</p>"
            for paragraph in re.split(r"\n\s*\n", protected) if paragraph.strip()
        )
    cleaned = clean_html(protected, protocols=CANNED_PROTOCOLS)
    for index, tag in enumerate(tags):
        cleaned = cleaned.replace(_SET_ASIDE.format(index), html.escape(tag, quote=True))
    return cleaned


def to_source(stored_html: str) -> str:
    """The template source of a stored body: its tags unescaped, the HTML as it is."""
    return _TAG.sub(lambda match: html.unescape(match.group()), stored_html)


def editable_source(stored_html: str) -> str:
    """What the edit form shows: plain text when the body is only paragraphs, else HTML."""
    without_links = _AUTO_LINK.sub(lambda m: m.group(2) if m.group(1) == html.unescape(
        m.group(2)) else m.group(0), stored_html)
    if set(_ANY_TAG.findall(without_links)) <= {"p", "br"}:
        text = without_links.replace("</p><p>", "\n\n").replace("<br>", "\n")
        text = re.sub(r"</?p>", "", text)
        return html.unescape(text)
    return to_source(stored_html)


# -- checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a template is refused: where, what kind, and about what."""

    line: int
    code: str  # syntax, unknown, not_allowed, too_long, too_deep
    subject: str = ""

    def __str__(self) -> str:
        reasons = {
            "syntax": f"syntax error: {self.subject}",
            "unknown": f"unknown placeholder '{self.subject}'",
            "not_allowed": f"{self.subject} not allowed in canned replies",
            "too_long": f"the template is longer than {MAX_SOURCE} characters",
            "too_deep": "the template is nested too deeply",
        }
        return f"line {self.line}: {reasons[self.code]}"


_NOT_ALLOWED = {
    nodes.For: "loops are",
    nodes.Assign: "`set` is",
    nodes.AssignBlock: "`set` is",
    nodes.Macro: "macros are",
    nodes.CallBlock: "macros are",
    nodes.Include: "includes are",
    nodes.Import: "imports are",
    nodes.FromImport: "imports are",
    nodes.Extends: "`extends` is",
    nodes.Block: "blocks are",
    nodes.BinExpr: "arithmetic is",
    nodes.UnaryExpr: "arithmetic is",
    nodes.Getitem: "indexing is",
    nodes.Slice: "indexing is",
    nodes.List: "lists are",
    nodes.Tuple: "lists are",
    nodes.Dict: "dictionaries are",
    nodes.Test: "tests (`is ...`) are",
    nodes.FilterBlock: "filter blocks are",
    nodes.With: "`with` is",
    nodes.Scope: "scopes are",
}


def check(source: str) -> list[Problem]:
    """Everything wrong with a template, each with its line; empty when it may be saved."""
    if len(source) > MAX_SOURCE:
        return [Problem(1, "too_long")]
    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as error:
        return [Problem(error.lineno or 1, "syntax", error.message or "")]
    except RecursionError:
        return [Problem(1, "too_deep")]
    problems: list[Problem] = []
    _walk(tree, 0, problems)
    return problems


def _walk(node: nodes.Node, depth: int, problems: list[Problem]) -> None:
    line = getattr(node, "lineno", 1) or 1
    if depth > MAX_DEPTH:
        problems.append(Problem(line, "too_deep"))
        return
    children: Iterable[nodes.Node] = ()
    if isinstance(node, nodes.Template | nodes.Output | nodes.If | nodes.CondExpr |
                  nodes.Concat | nodes.Not | nodes.And | nodes.Or):
        children = node.iter_child_nodes()
    elif isinstance(node, nodes.TemplateData):
        return
    elif isinstance(node, nodes.Const):
        if not isinstance(node.value, str | int | float | bool | None):
            problems.append(Problem(line, "not_allowed", "this value is"))
        elif isinstance(node.value, str) and len(node.value) > MAX_CONST:
            problems.append(Problem(line, "not_allowed", "long text in a tag is"))
        return
    elif isinstance(node, nodes.Compare):
        if any(op.op not in ("eq", "ne") for op in node.ops):
            problems.append(Problem(line, "not_allowed", "comparisons other than == and != are"))
        children = node.iter_child_nodes()
    elif isinstance(node, nodes.Operand):
        children = node.iter_child_nodes()
    elif isinstance(node, nodes.Name):
        if node.name not in VALUES:
            known = node.name in PLACEHOLDERS or node.name == ASK
            problems.append(Problem(line, "unknown", f"{node.name}.…" if known else node.name))
        return
    elif isinstance(node, nodes.Getattr):
        _check_placeholder(node, line, problems)
        return
    elif isinstance(node, nodes.Filter):
        if node.name not in FILTERS:
            problems.append(Problem(line, "not_allowed", f"the filter '{node.name}' is"))
        if node.kwargs or node.dyn_args or node.dyn_kwargs or not all(
            isinstance(arg, nodes.Const) for arg in node.args
        ):
            problems.append(Problem(line, "not_allowed", "filter arguments other than text are"))
        children = [node.node] if node.node is not None else []
    elif isinstance(node, nodes.Call):
        name = node.node.name if isinstance(node.node, nodes.Name) else None
        if name not in FUNCTIONS:
            problems.append(Problem(line, "not_allowed", "calls other than in_days(n) are"))
        elif (node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) != 1
              or not isinstance(node.args[0], nodes.Const)
              or not isinstance(node.args[0].value, int)):
            problems.append(Problem(line, "not_allowed", "in_days() with anything but a number is"))
        return
    else:
        what = next((text for kind, text in _NOT_ALLOWED.items() if isinstance(node, kind)),
                    f"`{type(node).__name__}` is")
        problems.append(Problem(line, "not_allowed", what))
        return
    for child in children:
        _walk(child, depth + 1, problems)


def _check_placeholder(node: nodes.Getattr, line: int, problems: list[Problem]) -> None:
    if not isinstance(node.node, nodes.Name) or node.attr.startswith("_"):
        problems.append(Problem(line, "not_allowed", "attribute access is"))
        return
    root, attr = node.node.name, node.attr
    name = f"{root}.{attr}"
    if root == ASK:
        if not ASK_NAME.match(attr):
            problems.append(Problem(line, "unknown", name))
    elif attr not in PLACEHOLDERS.get(root, ()):
        problems.append(Problem(line, "unknown", name))


def names_in(source: str) -> list[str]:
    """The placeholder names a template mentions (`contact.name`, `ask.x`), in order."""
    try:
        tree = _environment().parse(source)
    except (TemplateSyntaxError, RecursionError):
        return []
    found: list[str] = []
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name):
            name = f"{node.node.name}.{node.attr}"
            if name not in found:
                found.append(name)
    return found


# -- rendering --------------------------------------------------------------------------


class RenderError(Exception):
    """The template failed or ran over its budget while rendering."""


class Missing(Undefined):
    """A value the reply needs but nobody has: falsy (so `or` falls back), reported when shown."""

    __slots__ = ("_sink",)

    def __init__(self, name: str, sink: list[str]) -> None:
        super().__init__(name=name)
        self._sink = sink

    def __str__(self) -> str:
        name = self._undefined_name or "?"
        if name not in self._sink:
            self._sink.append(name)
        return f"[{name}]"


class Facts:
    """One placeholder object (contact, agent, ticket, ask): known values or Missing."""

    __slots__ = ("_prefix", "_values", "_sink", "_open")

    def __init__(self, prefix: str, values: dict[str, Any], sink: list[str],
                 open_names: bool = False) -> None:
        self._prefix = prefix
        self._values = values
        self._sink = sink
        self._open = open_names  # `ask` answers any name; the others only theirs

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or (not self._open and name not in self._values):
            raise AttributeError(name)
        value = self._values.get(name)
        if value is None or value == "":
            return Missing(f"{self._prefix}.{name}", self._sink)
        return value


class LocalDate:
    """A date that prints itself in the reply's language (`24. November 2026`)."""

    __slots__ = ("value", "locale")

    def __init__(self, value: date, locale: str) -> None:
        self.value = value
        self.locale = locale

    def format(self, style: str = "long") -> str:
        if style not in DATE_FORMATS:
            raise SecurityError(f"date format must be one of {', '.join(DATE_FORMATS)}")
        return format_date(self.value, format=style, locale=self.locale)

    def __str__(self) -> str:
        return self.format()


def _date_filter(value: Any, style: str = "long") -> Any:
    return value.format(style) if isinstance(value, LocalDate) else value


class CannedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with string building capped and `**` and `%` formatting refused."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator in ("**", "%"):
            raise SecurityError(f"the operator {operator} is not allowed")
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, str | list | tuple) and isinstance(count, int) and (
                    len(sequence) * count > MAX_STRING
                ):
                    raise SecurityError("that would build a string over the size limit")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(
            right, str | list | tuple
        ) and len(left) + len(right) > MAX_STRING:
            raise SecurityError("that would build a string over the size limit")
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def _environment() -> CannedEnvironment:
    environment = CannedEnvironment(autoescape=True, undefined=StrictUndefined)
    environment.globals = {}  # no range, lipsum, cycler, joiner, namespace, dict
    environment.filters = {name: JINJA_FILTERS[name] for name in FILTERS if name in JINJA_FILTERS}
    environment.filters["date"] = _date_filter
    return environment


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _environment().from_string(source)


@dataclass
class Rendered:
    body_html: str
    body_text: str
    missing: list[str] = field(default_factory=list)
    language: str = ""


def render(source: str, facts: dict[str, dict[str, Any]], asked: dict[str, str],
           language: str, today: date) -> Rendered:
    """Render a template with the facts of a ticket and what the agent filled in.

    `facts` holds `contact`, `agent` and `ticket` values (None when unknown);
    `asked` the prompted values by bare name. Raises RenderError when the template
    fails or runs over its size or time budget.
    """
    missing: list[str] = []
    context: dict[str, Any] = {
        name: Facts(name, values, missing) for name, values in facts.items()
    }
    context[ASK] = Facts(ASK, {k: v for k, v in asked.items() if v}, missing, open_names=True)
    context["today"] = LocalDate(today, language)

    def in_days(days: int) -> LocalDate:
        if not isinstance(days, int) or abs(days) > MAX_DAYS:
            raise SecurityError(f"in_days() takes a whole number up to {MAX_DAYS}")
        return LocalDate(today + timedelta(days=days), language)

    context["in_days"] = in_days
    try:
        template = _compiled(source)
        output = "".join(_within_budget(template.generate(context)))
    except RecursionError as error:
        raise RenderError("the template is nested too deeply") from error
    except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
        raise RenderError(str(error) or type(error).__name__) from error
    body_html = clean_html(output, protocols=CANNED_PROTOCOLS)
    body_html = _FAQ_LINK.sub(lambda match: _faq_link(match, missing), body_html)
    return Rendered(body_html, _text_of(body_html), missing, language)


def _within_budget(chunks: Iterator[str]) -> Iterator[str]:
    started = time.monotonic()
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise RenderError(f"stopped: the output grew over {MAX_OUTPUT} characters")
        if time.monotonic() - started > MAX_SECONDS:
            raise RenderError(f"stopped: rendering took over {MAX_SECONDS} seconds")
        yield chunk


def _faq_link(match: re.Match[str], missing: list[str]) -> str:
    slug, text = match.group(1), match.group(2)
    url = faq_url(slug)
    if url is None:
        if f"faq:{slug}" not in missing:
            missing.append(f"faq:{slug}")
        return text
    return f'<a href="{html.escape(url)}" rel="noopener noreferrer" target="_blank">{text}</a>'


def _text_of(body_html: str) -> str:
    """Plain text for the reply box: a link whose text is not its URL keeps the URL."""

    def link(match: re.Match[str]) -> str:
        url, text = html.unescape(match.group(1)), match.group(2)
        if html.unescape(re.sub(r"<[^>]+>", "", text)).strip() == url:
            return text
        return f"{text} ({html.escape(url)})"

    return html_to_text(_LINK.sub(link, body_html))


def first_name(name: str | None) -> str | None:
    """The first word of a name; None for none (a handle is not a first name)."""
    words = (name or "").split()
    return words[0] if words else None


def signature(name: str) -> str:
    """The agent's sign-off as social-media teams write it: `^` and initials (`^AA`)."""
    initials = "".join(word[0].upper() for word in name.split() if word[:1].isalpha())
    return f"^{initials}" if initials else ""


def pick_language(available: Iterable[str], wanted: Iterable[str | None]) -> str | None:
    """The first wanted language the reply has (`de-AT` counts as `de`), else any it has."""
    have = list(available)
    for language in wanted:
        base = (language or "").split("-")[0].split("_")[0].lower()
        if base in have:
            return base
    return have[0] if have else None


def today_in(timezone: str) -> date:
    """Today's date where the team works."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()
