"""Dates as Vietnamese forms write them, in both languages: 30/11/2026 and 14:05 (24-hour clock).

Only display formats: input formats stay Django's, so ISO values from
<input type="date"> keep parsing. Numbers keep the locale's separators.
"""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "m/Y"
MONTH_DAY_FORMAT = "d/m"
FIRST_DAY_OF_WEEK = 1  # Monday
