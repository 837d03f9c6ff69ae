"""The tracker's English is for staff in Vietnam and its partners: dates are typed day-first there
too, as in Vietnamese (see ``tracker/formats/vi/formats.py``), never month-first; and they are shown
day-first, on a 24-hour clock, as the English reminder emails show them ("31 Dec 2026"). Django's
English shows "Dec. 31, 2026, 2:30 p.m." and, in short, "12/31/2026": beside dates typed
"31/12/2026", a short date such as "05/06/2027" would read one way and be typed the other."""

from tracker.formats.vi.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS, FIRST_DAY_OF_WEEK

__all__ = [
    "DATETIME_FORMAT",
    "DATETIME_INPUT_FORMATS",
    "DATE_FORMAT",
    "DATE_INPUT_FORMATS",
    "FIRST_DAY_OF_WEEK",
    "MONTH_DAY_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "TIME_FORMAT",
]

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
MONTH_DAY_FORMAT = "j F"
