"""Date input in the admin: ISO first (what the date widget writes), then day-first as people in
Vietnam type dates. Django's defaults, which Vietnamese and English both fall back to, read
"05/06/2027" month-first, as 6 May: a due date saved a month off without a word."""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]

# Weeks start on Monday (Thứ Hai), as the weekly reminders' weeks do; Django's default is Sunday
# (the admin's calendar).
FIRST_DAY_OF_WEEK = 1
