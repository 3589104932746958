"""`{{ value|breakable }}`: long addresses and URLs may wrap after their separators, not mid-word."""

import re

from django import template
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

# After @ . / ? & = _ : - : "ada.lovelace@<wbr>example.<wbr>com", "https://<wbr>id.<wbr>example.<wbr>com/<wbr>o/".
_SEPARATORS = re.compile(r"([@./?&=_:-]+)")


@register.filter
def breakable(value) -> SafeString:
    """Escape `value` and offer a line break (<wbr>) after each separator."""
    parts = _SEPARATORS.split(str(value))  # text, separator, text, separator, ..., text
    return format_html_join("", "{}{}<wbr>", zip(parts[0::2], parts[1::2], strict=False)) + escape(parts[-1])
