"""Every word a template shows goes through {% translate %} or {% blocktranslate %}.

Django's template Lexer splits each template into tokens. Text outside the translation tags
(and outside {% comment %}) is put back together, with each variable standing in as "0" and
each other tag as nothing, and read as HTML: text and the attributes people read (alt, title,
placeholder, aria-label...) must hold no letters, except inside <pre>, <code>, <script> and
<style> and the brand names below.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Names that stay as they are in every language.
BRANDS = ("Gatehouse", "GitHub", "Google", "Facebook", "OpenID Connect", "OAuth", "Passkey")
# Read as code: never translated.
CODE_ELEMENTS = frozenset({"pre", "code", "kbd", "samp", "script", "style"})
READ_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "aria-description", "label"})
LETTER = re.compile(r"[^\W\d_]")
VOID_ELEMENTS = frozenset({"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area"})


def has_words(text: str) -> bool:
    for brand in BRANDS:
        text = text.replace(brand, "")
    return bool(LETTER.search(text))


def untranslated_source(source: str) -> str:
    """The template's text outside the translation tags and comments, tags replaced."""
    parts, skipping = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(maxsplit=1)[0] if token.contents else ""
            if skipping:
                if name == skipping:
                    skipping = None
                continue
            if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                skipping = "end" + name
            continue
        if skipping or token.token_type == TokenType.COMMENT:
            continue
        parts.append("0" if token.token_type == TokenType.VAR else token.contents)
    return "".join(parts)


class WordFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open_code: list[str] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (
                name in READ_ATTRIBUTES
                or (name == "value" and tag == "input" and ("type", "submit") in attrs)
            ) and has_words(value or ""):
                self.found.append(f'<{tag} {name}="{value}">')
        if tag in CODE_ELEMENTS:
            self.open_code.append(tag)

    def handle_endtag(self, tag):
        if tag in self.open_code:
            del self.open_code[len(self.open_code) - 1 - self.open_code[::-1].index(tag) :]

    def handle_data(self, data):
        if not self.open_code and has_words(data):
            self.found.append(" ".join(data.split()))


def untranslated_words(source: str) -> list[str]:
    finder = WordFinder()
    finder.feed(untranslated_source(source))
    finder.close()
    return finder.found


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_word_of_the_template_is_translatable(path):
    found = untranslated_words(path.read_text())
    assert not found, f"{path.relative_to(TEMPLATES)}: wrap in {{% translate %}}: {found[:10]}"


# --- The finder itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "<p>Sign in</p>",
        "<p>{{ app.name }} wants access</p>",
        '<img src="x.png" alt="A logo">',
        '<a title="{{ site_name }} checked this app" href="/">{% translate "Verified" %}</a>',
        '<input type="submit" value="Save">',
        "{% if inert %}<h3>{% else %}<h1>{% endif %}Hello{% if inert %}</h3>{% else %}</h1>{% endif %}",
        "Hello {{ name }},\n\nyour password changed.",
    ],
)
def test_words_outside_translation_tags_are_found(source):
    assert untranslated_words(source)


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Sign in" %}</p>',
        "{% blocktranslate with name=app.name %}{{ name }} wants access{% endblocktranslate %}",
        "{% blocktranslate count n=apps %}One app{% plural %}{{ n }} apps{% endblocktranslate %}",
        '<div class="consent-header" id="x" data-kind="sensitive"><span aria-hidden="true">&#10003;</span></div>',
        "<pre><code>curl -H 'Authorization: Bearer …' /api/me/</code></pre>",
        "<p>{{ site_name }} · Gatehouse · GitHub</p>",
        "{% comment %}Notes for developers{% endcomment %}{# a note #}<!-- html note -->",
        '<{% if inert %}div{% else %}header{% endif %} class="x"></{% if inert %}div{% else %}header{% endif %}>',
        "<!DOCTYPE html><script src='/x.js'></script><style>.a { color: red }</style>",
    ],
)
def test_markup_code_and_translated_text_pass(source):
    assert untranslated_words(source) == []


def test_the_language_switcher_is_translatable():
    # The sample this test holds itself to, before the wrappers finish the rest.
    path = TEMPLATES / "core" / "_language_switcher.html"
    assert untranslated_words(path.read_text()) == []
