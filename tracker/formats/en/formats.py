"""The tracker's English is for staff in Vietnam: dates are typed day-first there too, as in
Vietnamese (see ``tracker/formats/vi/formats.py``), never month-first."""

from tracker.formats.vi.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS

__all__ = ["DATETIME_INPUT_FORMATS", "DATE_INPUT_FORMATS"]
