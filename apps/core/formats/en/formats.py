"""English dates as the pages have always written them, as named formats: a template that says
`date:"DATE_FORMAT"` (2 Dec 2026) or `"SHORT_DATETIME_FORMAT"` (2 December 2026, 17:08, for
e-mails, which add the time zone) gets these in English and Django's own formats, with their
order and month names, in every other language (FORMAT_MODULE_PATH in settings)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
