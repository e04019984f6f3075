"""The deployment configuration (server/config.py) as the settings page shows it: read at
start from the environment or the secrets file, so it is shown read-only, with the
variable that sets it. Secrets never leave the server: keys are only said to be set, and
a URL loses its password and the values of its query (a tile server's key, `?tk=`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from server.config import Config

MASK = "***"
HIDDEN = "已设置(已隐藏)"
UNSET = "未设置"
# A name ending so is a secret whatever its value (SECRET_KEY, JWT_SECRET_KEY, …).
SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD)$")
# Read before the secrets file is found, so only the real environment can set them.
ENVIRONMENT_ONLY = {"INSTANCE_DIR", "SECRETS_FILE"}
# Other spellings a deployment may use.
ALIASES = {"DATABASE_URL": ("DATABASE_URL",)}

# Topic, then (name, Chinese label) in the order shown; a name missing here is shown
# under 其他 with its own name, so a new configuration entry is never hidden.
GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    ("运行环境", [
        ("ENV", "运行环境(production / development / test)"),
        ("INSTANCE_DIR", "实例目录(数据库文件、密钥、演示账号)"),
        ("SECRETS_FILE", "启动时读取的配置文件"),
        ("PROXY_COUNT", "前置可信反向代理层数"),
        ("COOKIE_SECURE", "Cookie 仅经 HTTPS 发送"),
        ("MAX_BODY_BYTES", "请求体上限(字节)"),
    ]),
    ("数据库", [
        ("DATABASE_URL", "数据库地址"),
        ("SQLITE_BUSY_TIMEOUT_MS", "SQLite 等待锁超时(毫秒)"),
    ]),
    ("密钥与登录", [
        ("SECRET_KEY", "会话签名密钥"),
        ("JWT_SECRET_KEY", "令牌签名密钥"),
        ("ACCESS_TOKEN_MINUTES", "访问令牌有效期(分钟)"),
        ("REFRESH_TOKEN_DAYS", "刷新令牌与控制台会话有效期(天)"),
        ("PASSWORD_HASH_METHOD", "密码哈希算法"),
        ("LOGIN_WINDOW_SECONDS", "登录失败计数窗口(秒)"),
        ("LOGIN_MAX_FAILURES_PER_USER_ADDRESS", "同一用户名与地址失败次数上限"),
        ("LOGIN_MAX_FAILURES_PER_USER", "同一用户名失败次数上限"),
        ("LOGIN_MAX_FAILURES_PER_ADDRESS", "同一地址失败次数上限"),
        ("LOGIN_KNOWN_ADDRESS_DAYS", "常用登录地址保留天数"),
    ]),
    ("同步与上传", [
        ("STORAGE_DIR", "照片与上传文件目录"),
        ("UPLOAD_MAX_BYTES", "单张照片上限(字节)"),
        ("SYNC_MAX_MUTATIONS", "每次同步最多条数"),
        ("SYNC_MAX_BYTES", "每次同步最大字节数"),
        ("PULL_DEFAULT_LIMIT", "每页下发条数(默认)"),
        ("PULL_MAX_LIMIT", "每页下发条数(上限)"),
    ]),
    ("后台任务", [
        ("REDIS_URL", "Redis 队列地址"),
        ("JOBS_DB", "SQLite 任务队列文件"),
        ("JOBS_QUEUE", "队列名称"),
        ("JOBS_IMMEDIATE", "任务在请求内立即执行(仅测试)"),
        ("JOBS_WORKERS", "每个任务进程的线程数"),
        ("REMINDERS_HOUR", "每日提醒时间(北京时间,时)"),
        ("ANALYZE_HOUR", "每日数据库统计时间(北京时间,时)"),
    ]),
    ("照片处理", [
        ("PHOTO_PROCESSING_TIMEOUT_S", "单张照片处理超时(秒)"),
        ("PHOTO_PROCESSING_MEMORY_BYTES", "解码进程内存上限(字节)"),
        ("PHOTO_PROCESSING_MAX_ATTEMPTS", "处理失败前最多尝试次数"),
        ("PHOTO_PROCESSING_RETRY_S", "首次重试间隔(秒)"),
        ("PHOTO_REQUEUE_AFTER_S", "排队超时后重新入队(秒)"),
        ("PHOTO_DECODER_MAX_JOBS", "解码进程处理多少张后更换"),
    ]),
    ("地图", [
        ("MAP_DATUM", "底图坐标系(wgs84 / gcj02)"),
        ("MAP_PMTILES", "离线底图文件(PMTiles)"),
        ("MAP_TILE_URL", "在线瓦片地址"),
    ]),
]  # fmt: skip


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    value: str
    default: str
    variables: tuple[str, ...]
    environment_only: bool


def masked(name: str, value, unset: str = UNSET) -> str:
    """What may be shown of a configuration value."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return unset
    if SECRET_NAME.search(name):
        return HIDDEN
    text = str(value)
    return masked_url(text) if "://" in text else text


def masked_url(text: str) -> str:
    """A URL without its password and with every query value replaced."""
    try:
        parts = urlsplit(text)
        host = parts.hostname  # raises on a malformed address
    except ValueError:
        return HIDDEN
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    elif "@" in netloc and host is not None:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"  # a bare token as the user name
    query = "&".join(f"{pair.partition('=')[0]}={MASK}" for pair in parts.query.split("&") if pair)
    url = f"{parts.scheme}://{netloc}{parts.path}"
    return f"{url}?{query}" if query else url


def configuration(config) -> list[tuple[str, list[Entry]]]:
    """Every entry of server/config.py, by topic, with its value in force (masked)."""
    names = [n for n in vars(Config) if n.isupper()]
    known = {name for _, entries in GROUPS for name, _ in entries}
    groups = [*GROUPS, ("其他", [(n, n) for n in names if n not in known])]
    out = []
    for title, entries in groups:
        rows = [
            Entry(
                name,
                label,
                masked(name, config.get(name)),
                masked(name, getattr(Config, name), "—"),
                (f"ZHICHA_{name}", *ALIASES.get(name, ())),
                name in ENVIRONMENT_ONLY,
            )
            for name, label in entries
            if name in names
        ]
        if rows:
            out.append((title, rows))
    return out


def secrets_file(config) -> str:
    """The file the settings may be written to (the one read at start, or where
    `make run` puts it)."""
    return config.get("SECRETS_FILE") or str(Path(config["INSTANCE_DIR"]) / "secrets.env")
