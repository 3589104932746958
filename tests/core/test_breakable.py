"""`|breakable`: a line break may follow each separator of an address; the text stays escaped."""

from django.template import Context, Template


def render(value: str) -> str:
    return Template("{% load breakable %}{{ value|breakable }}").render(Context({"value": value}))


def test_an_address_may_wrap_after_its_separators():
    assert render("ada.king@example.com") == "ada.<wbr>king@<wbr>example.<wbr>com"


def test_the_text_is_still_escaped():
    assert render("<b>&x@y") == "&lt;b&gt;&amp;<wbr>x@<wbr>y"
