# English dates in the house style: "2 Dec 2026" and "2 December 2026, 17:08" (e-mails add the time zone).
# Templates ask for SHORT_DATE_FORMAT / SHORT_DATETIME_FORMAT rather than a fixed English
# pattern, so every other language gets Django's own localised order and month names.
# (DATE_FORMAT and DATETIME_FORMAT, the defaults for bare values, are left as Django's.)
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j F Y, H:i"
