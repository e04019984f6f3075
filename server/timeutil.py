"""Time: stored in UTC, shown and counted in China Standard Time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(CHINA).date()
