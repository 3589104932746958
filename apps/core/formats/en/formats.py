"""English dates as the pages have always written them (2 Dec 2026, 14:05), as named formats:
a template that says `date:"DATE_FORMAT"` gets these in English and Django's own formats in
every other language (FORMAT_MODULE_PATH in settings)."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
