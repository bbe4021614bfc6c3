"""Plain text from cleaned HTML: the grammar-based tag strip reads as bleach does."""

import html

import bleach
import pytest

from desk import sanitize
from desk.sanitize import clean_html, html_to_text, text_to_html
from tests.shared_data import germeval_posts, twcs_tweets
from tests.test_intake import HOSTILE

TRICKY = [
    '<p>Preis <a href="https://shop.example/?a=1&amp;b=2>3" title="x > y">hier</a></p>',
    "<ul><li>eins</li><li>zwei<br>drei</li></ul><ol><li>vier</li></ol>",
    "<blockquote><p>zitiert</p></blockquote><pre>  code\n  block </pre>after",
    "1 &lt; 2 &amp;&amp; 3 &gt; 2 &quot;quoted&quot; &#x27;single&#x27; &nbsp;space",
    "<p>a</p>\n\n\n\n<p>b</p><p></p><p>c</p>",
    "<b>bold</b><i>it</i><em>em</em><strong>st</strong><code>c</code>",
    "Zug <!-- a comment --> fällt aus",
]


def bleach_text(cleaned: str) -> str:
    """html_to_text as it was, with bleach parsing the HTML again: the reference."""
    text = sanitize._BLOCK_END.sub("\n", cleaned)
    text = html.unescape(bleach.clean(text, tags=set(), strip=True))
    lines = [sanitize._SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return sanitize._BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


@pytest.mark.parametrize("markup", HOSTILE + TRICKY)
def test_hostile_and_tricky_markup_reads_as_bleach_reads_it(markup):
    cleaned = clean_html(markup)
    assert html_to_text(cleaned) == bleach_text(cleaned)


def test_the_shared_corpus_reads_as_bleach_reads_it():
    texts = [post.text for post in germeval_posts()] + [tweet.text for tweet in twcs_tweets()]
    assert len(texts) > 5000
    different = [
        markup for text in texts
        for markup in (text_to_html(text), clean_html("<p>" + text.replace("\n", "<br>")))
        if html_to_text(markup) != bleach_text(markup)
    ]
    assert different == []


def test_paragraphs_and_breaks_become_lines():
    assert html_to_text("<p>Zug fällt aus.</p><p>Schon <b>wieder</b>!<br>Danke.</p>") == \
        "Zug fällt aus.\n\nSchon wieder!\nDanke."
