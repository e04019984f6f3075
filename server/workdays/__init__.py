"""Working days in the Chinese calendar: statutory holidays off, adjusted working days on."""

from server.workdays.calendar import add_working_days, known_source

__all__ = ["add_working_days", "known_source"]
