"""Read what a page shows a person: an input's value, the ticked boxes, a field's errors, the text
of elements of one class. For tests that need a value out of the page, not only its presence."""

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: "Element | None"
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())

    def has_class(self, css_class: str) -> bool:
        return css_class in self.attrs.get("class", "").split()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self._open[-1] if self._open else None)
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.chunks.append(data)


def elements(response) -> list[Element]:
    """Every element of the page, in document order."""
    parser = _Elements()
    parser.feed(response.content.decode())
    return parser.elements


def input_value(response, element_id: str) -> str:
    [value] = [e.attrs["value"] for e in elements(response) if e.attrs.get("id") == element_id]
    return value


def checked_values(response, name: str) -> list[str]:
    """The values of the ticked boxes (or chosen radio button) called `name`."""
    return [
        e.attrs["value"]
        for e in elements(response)
        if e.tag == "input" and e.attrs.get("name") == name and "checked" in e.attrs
    ]


def texts(response, tag: str, css_class: str) -> list[str]:
    """The text of each `tag` element with the class `css_class`."""
    return [e.text for e in elements(response) if e.tag == tag and e.has_class(css_class)]


def field_errors(response, field_name: str) -> list[str]:
    """The messages Django's error list shows for a field (`<ul class="errorlist" id="id_<name>_error">`)."""
    return [
        e.text
        for e in elements(response)
        if e.tag == "li" and e.parent is not None and e.parent.attrs.get("id") == f"id_{field_name}_error"
    ]
