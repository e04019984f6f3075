"""Load and chaos run: the app as production starts it, driven by field devices, desk users
and a login storm, with web workers and job consumers killed mid-run; then correctness
checks (exactly-once mutations, photos settled, no 5xx but cut connections) and one table.

    .venv/bin/python bench/chaos.py --db sqlite --devices 50 --duration 120
    .venv/bin/python bench/chaos.py --db postgresql --devices 50 --duration 120

Everything listens on 127.0.0.1 only, in a throwaway instance folder (and a throwaway
PostgreSQL database and Redis db), and stops by itself: a bounded duration, a bounded
number of requests, a hard wall-clock cap; the process groups it started are killed on
exit, Ctrl-C or failure. Exit status 0 when every correctness check passed, 1 otherwise
(timings never fail a run). See bench/README.md ("Load and chaos run").
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
PASSWORD = "chaos-Passw0rd-9"
WRONG_PASSWORD = "not-the-password-1"
PLAN_CODE = "DC-2026-001"  # the demo plan (server/demo.py)
STORM_ADDRESS = "198.51.100.23"
CHUNK = 64 * 1024  # tus PATCH size: a photo takes several, so cuts land mid-upload
HTTP_TIMEOUT = (5, 120)
FINAL = {"stored", "invalid", "failed"}
SETTLE_S = 60  # every completely uploaded photo must be final this long after the load


@dataclass
class Options:
    db: str = "sqlite"  # sqlite | postgresql
    devices: int = 50
    duration: float = 120.0  # seconds of load
    max_requests: int = 50_000  # all clients together; the load stops when reached
    max_photos: int = 400  # photos uploaded in the whole run
    bad_photo_share: float = 0.12  # corrupt or truncated files (valid sha256)
    desks: int = 3  # supervisors reading the ledger and the triage queue, triaging
    storm_rate: float = 4.0  # wrong-password logins per second from one address
    web_kills: int = 2  # kill -9 of a gunicorn worker (the master restarts it)
    worker_kills: int = 2  # kill -9 of the job worker's consumer (the supervisor restarts it)
    servers: int | None = None  # app servers (default: 1 on SQLite, 2 on PostgreSQL)
    pg_url: str = ""
    redis_url: str = ""
    redis_db: int = 13
    keep: bool = False  # keep the instance folder (logs) afterwards
    seed: int = 7
    quiet: bool = False
    image_size: tuple[int, int] = (1280, 960)


# ---------------------------------------------------------------- processes and /proc


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_mb(pid: int) -> float:
    return sum(_rss_kb(p) for p in _tree(pid)) / 1024


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A process started in its own process group (killed as a group at the end)."""

    def __init__(self, name: str, cmd: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        self.handle = log.open("ab")
        self.popen = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 8.0) -> None:
        pgid = self.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self.running():
            time.sleep(0.1)
        # The group may hold orphans (a killed consumer's decoders): always SIGKILL it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self.handle.close()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------- recording


@dataclass
class Sample:
    label: str
    status: int | None  # None: no HTTP answer (connection cut, timeout)
    ms: float
    t0: float
    t1: float
    server: str
    error: str = ""
    retry_after: bool = False


class Recorder:
    def __init__(self, max_requests: int):
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.max_requests = max_requests
        self.kills: list[dict] = []
        self.notes: list[str] = []

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def budget_left(self) -> bool:
        return len(self.samples) < self.max_requests

    def kill_times(self, kind: str = "web") -> list[float]:
        return [k["at"] for k in self.kills if k["kind"] == kind]

    def cut_by_kill(self, s: Sample) -> bool:
        return any(s.t0 - 2.0 <= at <= s.t1 + 1.0 for at in self.kill_times("web"))


def _timed(rec: Recorder, label: str, server: str, fn):
    """Call fn() -> (status, value); record one sample; return (status, value)."""
    t0 = time.monotonic()
    status, value, error, retry_after = None, None, "", False
    try:
        status, value = fn()
        if hasattr(value, "headers"):
            retry_after = "Retry-After" in value.headers
    except Exception as exc:  # the sample says what happened; callers decide
        status = getattr(exc, "status_code", None)
        error = f"{type(exc).__name__}: {str(exc)[:160]}"
        value = exc
    t1 = time.monotonic()
    rec.add(Sample(label, status, (t1 - t0) * 1000, t0, t1, server, error, retry_after))
    return status, value


# ---------------------------------------------------------------- images


def _base_jpegs(n: int, size: tuple[int, int], rng: random.Random) -> list[bytes]:
    from PIL import Image, ImageDraw

    out = []
    for i in range(n):
        im = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        draw = ImageDraw.Draw(im)
        for _ in range(60):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            draw.rectangle(
                [x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 200)],
                fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            )
        draw.text((40, 40), f"chaos photo {i}", fill=(255, 255, 255))
        # Some sensor noise: a few hundred kB, like a small phone photo (several PATCHes).
        noise = Image.effect_noise(size, 60).convert("RGB")
        im = Image.blend(im, noise, 0.12)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def _unique(jpeg: bytes) -> bytes:
    """The same picture with a unique JPEG comment segment: a distinct sha256."""
    comment = uuid.uuid4().hex.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def _bad_image(jpeg: bytes, rng: random.Random) -> tuple[bytes, str]:
    if rng.random() < 0.5:
        return _unique(jpeg)[: len(jpeg) * 11 // 20], "truncated"
    return b"\xff\xd8\xff\xe0" + os.urandom(rng.randrange(40_000, 160_000)), "corrupt"


# ---------------------------------------------------------------- the instance


class Instance:
    """A throwaway deployment: folder, database, Redis db, gunicorns, job workers."""

    def __init__(self, opts: Options, say):
        self.opts, self.say = opts, say
        self.tmp = Path(tempfile.mkdtemp(prefix=f"zhicha-chaos-{opts.db}-"))
        self.procs: list[Proc] = []
        self.web: list[Proc] = []
        self.workers: list[Proc] = []
        self.bases: list[str] = []
        self.pg = None
        self.db_url = ""
        self.redis_url = ""
        self.env: dict = {}
        self.worker_available = False
        self.gunicorn_conf = False

    # -- setup
    def prepare(self) -> None:
        o = self.opts
        keys = subprocess.run(
            [PYTHON, "-m", "server.keygen"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        secrets = dict(line.split("=", 1) for line in keys.split())
        env = {
            k: v for k, v in os.environ.items() if not k.startswith("ZHICHA_") and k != "FLASK_APP"
        }
        env.pop("DATABASE_URL", None)
        env.update(secrets)
        env.update(
            {
                "ZHICHA_ENV": "production",
                "ZHICHA_INSTANCE_DIR": str(self.tmp / "instance"),
                "ZHICHA_STORAGE_DIR": str(self.tmp / "storage"),
                # Clients are told apart by X-Forwarded-For, as behind the reverse proxy
                # of a deployment (the login storm comes from one address).
                "ZHICHA_PROXY_COUNT": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if o.db == "postgresql":
            from tests.pg import TempPostgres

            base = o.pg_url or os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL
            if not TempPostgres.available(base):
                raise RuntimeError(f"PostgreSQL not reachable at {base}")
            self.pg = TempPostgres(base)
            self.db_url = self.pg.create("zhicha_chaos")
            import redis

            self.redis_url = f"{(o.redis_url or DEFAULT_REDIS).rstrip('/')}/{o.redis_db}"
            redis.Redis.from_url(self.redis_url).flushdb()
            env["ZHICHA_REDIS_URL"] = self.redis_url
        else:
            self.db_url = f"sqlite:///{self.tmp / 'instance' / 'zhicha.sqlite3'}"
        env["DATABASE_URL"] = self.db_url
        self.env = env
        (self.tmp / "instance").mkdir(parents=True, exist_ok=True)
        self._flask("db", "upgrade")
        self._flask("seed-demo")
        help_text = self._flask("jobs", "--help", check=False)
        self.worker_available = bool(re.search(r"^\s+worker\b", help_text, re.M))
        out = self.tmp / "world.json"
        done = subprocess.run(
            [PYTHON, __file__, "--_setup", str(o.devices), str(out)],
            cwd=REPO,
            env=env,
            timeout=300,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"setup failed:\n{done.stdout}\n{done.stderr}")
        self.world = json.loads(out.read_text())

    def _flask(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and done.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def start(self, servers: int) -> None:
        self.gunicorn_conf = (REPO / "gunicorn.conf.py").exists()
        for n in range(servers):
            port = _free_port()
            name = "AB"[n] if n < 2 else str(n)
            cmd = [str(VENV_BIN / "gunicorn")]
            if self.gunicorn_conf:
                cmd += ["-c", "gunicorn.conf.py"]
            cmd += ["--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
            cmd += ["wsgi:app"]
            proc = Proc(f"web-{name}", cmd, self.env, self.tmp / f"gunicorn-{name}.log")
            self.procs.append(proc)
            self.web.append(proc)
            self.bases.append(f"http://127.0.0.1:{port}")
        if self.worker_available:
            for n in range(servers):
                cmd = [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "worker"]
                proc = Proc(f"worker-{n + 1}", cmd, self.env, self.tmp / f"worker-{n + 1}.log")
                self.procs.append(proc)
                self.workers.append(proc)
        import requests

        deadline = time.monotonic() + 90
        for proc, base in zip(self.web, self.bases, strict=True):
            while True:
                if not proc.running():
                    raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
                with contextlib.suppress(requests.RequestException):
                    if requests.options(base + "/api/uploads", timeout=2).status_code == 204:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{proc.name} did not answer in 90 s:\n{proc.tail()}")
                time.sleep(0.3)
            while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
        for proc in self.workers:
            while not _children(proc.pid):
                if not proc.running() or time.monotonic() > deadline:
                    raise RuntimeError(f"{proc.name} has no consumer:\n{proc.tail()}")
                time.sleep(0.2)

    def rss(self) -> dict[str, float]:
        out = {}
        for p in self.web:
            out[p.name] = _tree_rss_mb(p.pid)
        for p in self.workers:
            out[p.name] = _tree_rss_mb(p.pid)
        return out

    def logs(self) -> dict[str, str]:
        out = {}
        for p in self.procs:
            with contextlib.suppress(OSError):
                out[p.name] = p.log.read_text(errors="replace")
        return out

    def cleanup(self) -> None:
        for p in self.procs:
            with contextlib.suppress(Exception):
                p.stop()
        if self.opts.keep:
            self.say(f"  kept: {self.tmp} and {self.db_url} (Redis db {self.opts.redis_db})")
        elif self.pg is not None:
            with contextlib.suppress(Exception):
                self.pg.drop(self.db_url)
            with contextlib.suppress(Exception):
                self.pg.dispose()
        if self.redis_url and not self.opts.keep:
            with contextlib.suppress(Exception):
                import redis

                redis.Redis.from_url(self.redis_url).flushdb()
        if not self.opts.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _setup_world(count: int, out: str) -> None:
    """In a child process with the instance's environment: inspector accounts on the demo
    plan's team (one per device) and extra supervisors of the office (desk users)."""
    from sqlalchemy import select

    from server import create_app
    from server.auth.passwords import hash_password
    from server.database import begin_writes
    from server.extensions import db
    from server.models import Plan, Role, User

    app = create_app()
    with app.app_context():
        begin_writes()
        plan = db.session.scalar(select(Plan).where(Plan.code == PLAN_CODE))
        office = plan.office_unit
        hashed = hash_password(PASSWORD)  # one hash for all: scrypt is slow on purpose
        inspectors, supervisors = [], []
        for i in range(count):
            inspector = User(
                username=f"chaos-insp-{i:03d}",
                display_name=f"暗访员{i:03d}",
                role=Role.inspector,
                unit=office,
                password_hash=hashed,
            )
            db.session.add(inspector)
            inspectors.append(inspector)
        for i in range(4):
            sup = User(
                username=f"chaos-sup-{i}",
                display_name=f"督查员{i}",
                role=Role.supervisor,
                unit=office,
                password_hash=hashed,
            )
            db.session.add(sup)
            supervisors.append(sup)
        plan.team.extend(inspectors)
        db.session.flush()
        world = {
            "plan_id": str(plan.id),
            "inspectors": {u.username: str(u.id) for u in inspectors},
            "supervisors": [u.username for u in supervisors],
            "sites": [
                {"id": str(s.id), "lat": s.lat, "lon": s.lon, "unit_id": str(s.unit_id)}
                for s in plan.sites
            ],
        }
        db.session.commit()
    Path(out).write_text(json.dumps(world))


# ---------------------------------------------------------------- clients


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Client:
    """A requests session bound to one user and one client address."""

    def __init__(self, run: Run, username: str, address: str):
        import requests

        self.run, self.rec = run, run.rec
        self.username, self.address = username, address
        self.http = requests.Session()
        self.token = ""
        self.refresh = ""

    def base(self) -> tuple[str, str]:
        bases = self.run.inst.bases
        i = self.run.rng_for(self.username).randrange(len(bases))
        return "AB"[i] if i < 2 else str(i), bases[i]

    def headers(self, extra: dict | None = None) -> dict:
        h = {"X-Forwarded-For": self.address, "User-Agent": "zhicha-chaos/1"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        return {**h, **(extra or {})}

    def call(self, label: str, method: str, path: str, server=None, **kw):
        name, base = server or self.base()

        def go():
            r = self.http.request(
                method, base + path, headers=self.headers(kw.pop("headers", None)),
                timeout=HTTP_TIMEOUT, **kw,
            )  # fmt: skip
            return r.status_code, r

        return _timed(self.rec, label, name, go)

    def login(self, label="POST /api/auth/login", attempts=8) -> bool:
        self.token = ""
        for attempt in range(attempts):
            status, r = self.call(
                label,
                "POST",
                "/api/auth/login",
                json={"username": self.username, "password": PASSWORD},
            )
            if status == 200:
                body = r.json()
                self.token, self.refresh = body["access_token"], body.get("refresh_token", "")
                return True
            if status is not None and status < 500 and status != 429:
                self.run.note(f"login of {self.username} refused: {status} {r.text[:200]}")
                return False
            time.sleep(min(0.5 * 2**attempt, 5))
        return False


class Device(Client):
    """One inspector's phone: check-ins, findings and photo metadata pushed offline-first,
    photo content over tus (resumed from the server's offset after a cut)."""

    def __init__(self, run: Run, n: int, username: str):
        super().__init__(run, username, f"10.20.{n // 250}.{n % 250 + 1}")
        self.n = n
        self.user_id = run.inst.world["inspectors"][username]
        self.rng = random.Random(run.opts.seed * 1000 + n)
        self.device_id = str(uuid.uuid4())
        self.cursor = None
        self.checksum = n % 2 == 0  # half the devices send Upload-Checksum: sha1
        self.relogged = False

    def base(self):
        bases = self.run.inst.bases
        i = self.rng.randrange(len(bases))
        return "AB"[i] if i < 2 else str(i), bases[i]

    def main(self) -> None:
        try:
            self._main()
        except Exception as exc:  # a harness bug must show, not end a thread silently
            self.run.note(f"device {self.n} crashed: {type(exc).__name__}: {exc}")

    def _main(self) -> None:
        run = self.run
        if not self.login():
            return
        self.pull()
        relogin_at = run.load_start + run.opts.duration * (0.3 + 0.4 * self.rng.random())
        while not run.stop.is_set() and run.rec.budget_left():
            self.field_visit()
            if self.rng.random() < 0.3:
                self.pull()
            if not self.relogged and time.monotonic() > relogin_at:
                # The app restarted on the phone: a fresh login from the device's own
                # address during the storm, which must not be locked out.
                self.relogged = True
                run.relogins.append(self.login(label="POST /api/auth/login (re-login)"))
            run.stop.wait(self.rng.uniform(0.3, 1.5))

    def pull(self) -> None:
        for _ in range(20):
            query = {"limit": 500, **({"cursor": self.cursor} if self.cursor else {})}
            status, r = self.with_retry("GET /api/sync/pull", "GET", "/api/sync/pull", params=query)
            if status != 200:
                return
            body = r.json()
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return

    def with_retry(self, label, method, path, attempts=12, **kw):
        """Like the PWA: a request without an answer, a 5xx or a 401 is sent again."""
        status, r = None, None
        for attempt in range(attempts):
            if self.run.hard_stop.is_set():
                break
            status, r = self.call(label, method, path, **kw)
            if status == 401:
                self.login()
                continue
            if status is None or status >= 500:
                delay = 0.3 * 2**attempt
                if r is not None and hasattr(r, "headers") and r.headers.get("Retry-After"):
                    delay = float(r.headers["Retry-After"])
                time.sleep(min(delay, 5) * self.rng.uniform(0.5, 1.0))
                continue
            return status, r
        return status, r

    def field_visit(self) -> None:
        run, rng = self.run, self.rng
        site = rng.choice(run.inst.world["sites"])
        plan_id = run.inst.world["plan_id"]
        lat, lon = site["lat"] + rng.uniform(-4e-4, 4e-4), site["lon"] + rng.uniform(-4e-4, 4e-4)
        visit_id = str(uuid.uuid4())
        muts = [
            self.mutation(
                "visit",
                visit_id,
                {
                    "plan_id": plan_id,
                    "site_id": site["id"],
                    "arrived_at": _now_iso(),
                    "lat": lat,
                    "lon": lon,
                    "accuracy_m": 8.5,
                    "note": "到达现场",
                },
            )
        ]
        photos = []
        for k in range(rng.randint(1, 3)):
            finding_id = str(uuid.uuid4())
            muts.append(
                self.mutation(
                    "finding",
                    finding_id,
                    {
                        "plan_id": plan_id,
                        "site_id": site["id"],
                        "visit_id": visit_id,
                        "title": f"暗访发现问题 {self.n}-{k}",
                        "description": "现场检查发现的问题(压力测试)",
                        "category": "other",
                        "severity": rng.choice(["low", "medium", "high"]),
                        "unit_id": site["unit_id"],
                        "lat": lat,
                        "lon": lon,
                        "accuracy_m": 8.5,
                        "observed_at": _now_iso(),
                    },
                )
            )
            for _ in range(rng.choice([0, 1, 1, 2])):
                content = run.take_photo(rng)
                if content is None:
                    break
                data, kind = content
                photo_id = str(uuid.uuid4())
                muts.append(
                    self.mutation(
                        "photo",
                        photo_id,
                        {
                            "parent_type": "finding",
                            "parent_id": finding_id,
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "size_bytes": len(data),
                            "mime_type": "image/jpeg",
                            "captured_at": _now_iso(),
                            "lat": lat,
                            "lon": lon,
                            "accuracy_m": 8.5,
                            "location_source": "geolocation",
                            "capture_source": "camera",
                        },
                    )
                )
                photos.append((photo_id, data, kind))
        # A phone back online sends what it holds in one or two pushes.
        split = rng.randint(1, len(muts)) if rng.random() < 0.3 else len(muts)
        acked = set()
        for part in (muts[:split], muts[split:]):
            if part:
                acked |= self.push(part)
        for photo_id, data, kind in photos:
            if photo_id in acked and not run.hard_stop.is_set():
                self.upload(photo_id, data, kind)

    def mutation(self, entity: str, record_id: str, data: dict) -> dict:
        m = {
            "mutation_id": str(uuid.uuid4()),
            "entity": entity,
            "op": "create",
            "id": record_id,
            "base_version": None,
            "data": data,
            "client_time": _now_iso(),
        }
        self.run.sent[m["mutation_id"]] = {
            "user_id": self.user_id,
            "entity": entity,
            "id": record_id,
            "status": None,
        }
        return m

    def push(self, muts: list[dict]) -> set[str]:
        body = {"device_id": self.device_id, "device_time": _now_iso(), "mutations": muts}
        status, r = self.with_retry("POST /api/sync/push", "POST", "/api/sync/push", json=body)
        acked = set()
        if status != 200:
            self.run.note(f"push of {len(muts)} by {self.username} gave up: {status}")
            return acked
        for res in r.json()["results"]:
            entry = self.run.sent[res["mutation_id"]]
            entry["status"] = res["status"]
            if res["status"] in ("applied", "duplicate"):
                entry["acked_id"] = res.get("id")
                acked.add(entry["id"])
            else:
                entry["answer"] = res
        return acked

    def upload(self, photo_id: str, data: bytes, kind: str) -> None:
        from tusclient.client import TusClient

        run = self.run
        entry = run.photos[photo_id] = {"kind": kind, "size": len(data), "complete": False}
        meta = {
            "photo_id": photo_id,
            "sha256": hashlib.sha256(data).hexdigest(),
            "filename": f"{photo_id}.jpg",
        }
        path = None  # /api/uploads/<id> once created
        switched = len(run.inst.bases) < 2  # switch server once, in the middle
        server = self.base()
        for attempt in range(25):
            if run.hard_stop.is_set():
                return
            name, base = server
            client = TusClient(base + "/api/uploads", headers=self.headers())
            kwargs = dict(
                file_stream=io.BytesIO(data), chunk_size=CHUNK, upload_checksum=self.checksum
            )
            try:
                if path is None:
                    uploader = client.uploader(metadata=meta, **kwargs)
                    status, loc = _timed(
                        run.rec, "POST /api/uploads", name, lambda u=uploader: (201, u.create_url())
                    )
                    if status != 201:
                        raise loc
                    path = urlparse(loc).path
                    uploader.set_url(loc)
                status, uploader = _timed(
                    run.rec,
                    "HEAD /api/uploads/<id>",
                    name,
                    lambda c=client, url=base + path, kw=kwargs: (200, c.uploader(url=url, **kw)),
                )  # the uploader asks the server's offset (HEAD) when given a url
                if status != 200:
                    raise uploader
                while uploader.offset < len(data):
                    status, err = _timed(
                        run.rec,
                        "PATCH /api/uploads/<id>",
                        name,
                        lambda u=uploader: (u.upload_chunk(), u.request.status_code)[::-1],
                    )
                    if status is None or status >= 300:
                        raise err
                    if not switched and uploader.offset < len(data):
                        # Continue this upload on the other app server.
                        switched = True
                        others = [b for b in run.inst.bases if b != base]
                        server = ("AB"[run.inst.bases.index(others[0])], others[0])
                        entry["switched"] = True
                        break
                else:
                    entry["complete"] = True
                    entry["attempts"] = attempt + 1
                    return
            except Exception as exc:
                status = getattr(exc, "status_code", None)
                if status == 401:
                    self.login()
                elif status == 460:  # whole-file checksum refused: begin again
                    run.note(f"upload {photo_id} ({kind}) answered 460: {exc}")
                    path = None
                elif status in (404, 410):
                    path = None
                elif status is not None and 400 <= status < 500 and status != 409:
                    run.note(f"upload {photo_id} ({kind}) refused {status}: {exc}")
                    entry["refused"] = status
                    return
                time.sleep(min(0.3 * 2 ** min(attempt, 4), 5) * self.rng.uniform(0.5, 1.0))
                server = self.base()
        run.note(f"upload {photo_id} gave up after 25 attempts")


class Desk(Client):
    """A supervisor at a desk: the ledger (API and console page), the triage queue, and
    triage decisions (reject, merge, itemize into a rectification item)."""

    def main(self) -> None:
        try:
            self._main()
        except Exception as exc:
            self.run.note(f"desk {self.username} crashed: {type(exc).__name__}: {exc}")

    def _main(self) -> None:
        run = self.run
        rng = random.Random(hash(self.username))
        if not self.login():
            return
        status, _ = self.call("POST /console/session", "POST", "/console/session")
        while not run.stop.is_set() and run.rec.budget_left():
            status, r = self.call(
                "GET /api/rectifications",
                "GET",
                "/api/rectifications",
                params={"page": rng.randint(1, 2), "per_page": 50},
            )
            if status == 401:
                self.login()
            self.call("GET /console/ledger", "GET", "/console/ledger", allow_redirects=False)
            status, r = self.call(
                "GET /api/findings/triage",
                "GET",
                "/api/findings/triage",
                params={"status": "pending", "per_page": 50, "page": rng.randint(1, 3)},
            )
            if status == 200:
                items = r.json()["items"]
                if items and rng.random() < 0.6:
                    self.triage(rng, items)
            run.stop.wait(rng.uniform(0.5, 1.5))

    def triage(self, rng: random.Random, items: list[dict]) -> None:
        item = rng.choice(items)
        roll = rng.random()
        if roll < 0.5:
            self.call(
                "POST /api/findings/<id>/reject (triage)",
                "POST",
                f"/api/findings/{item['id']}/reject",
                json={"reason": "经核实不构成问题(压力测试)"},
            )
        elif roll < 0.75 and len(items) > 1:
            into = rng.choice([i for i in items if i["id"] != item["id"]])
            self.call(
                "POST /api/findings/<id>/merge (triage)",
                "POST",
                f"/api/findings/{item['id']}/merge",
                json={"into_id": into["id"]},
            )
        elif item.get("unit_id"):
            self.call(
                "POST /api/rectifications (itemize)",
                "POST",
                "/api/rectifications",
                json={
                    "finding_ids": [item["id"]],
                    "unit_id": item["unit_id"],
                    "problem": item["title"],
                    "measures": "限期整改",
                    "deadline_working_days": 10,
                },
            )


def _storm(run: Run) -> None:
    """Wrong passwords from one address, for the devices' accounts and unknown names."""
    client = Client(run, "storm", STORM_ADDRESS)
    rng = random.Random(run.opts.seed)
    names = list(run.inst.world["inspectors"]) + [f"admin{i}" for i in range(5)]
    period = 1.0 / run.opts.storm_rate
    while not run.stop.is_set() and run.rec.budget_left():
        client.call(
            "POST /api/auth/login (storm)",
            "POST",
            "/api/auth/login",
            json={"username": rng.choice(names), "password": WRONG_PASSWORD},
        )
        run.stop.wait(period)


# ---------------------------------------------------------------- chaos


def _chaos(run: Run) -> None:
    o, inst = run.opts, run.inst
    plan = [(f, "web") for f in _spread(o.web_kills, 0.2)]
    if inst.workers:
        plan += [(f, "worker") for f in _spread(o.worker_kills, 0.35)]
    plan.sort()
    turns = Counter()
    for fraction, kind in plan:
        n = turns[kind]
        turns[kind] += 1
        at = run.load_start + fraction * o.duration
        if run.stop.wait(max(0.0, at - time.monotonic())):
            return
        targets = inst.web if kind == "web" else inst.workers
        proc = targets[n % len(targets)]
        kids = _children(proc.pid)
        wait_until = time.monotonic() + 20  # a consumer may be between two lives
        while not kids and time.monotonic() < wait_until and not run.stop.is_set():
            time.sleep(0.2)
            kids = _children(proc.pid)
        if not kids:
            run.note(f"{proc.name}: no child to kill (for 20 s)")
            continue
        victim = random.Random(n + len(run.rec.kills)).choice(kids)
        rss = _tree_rss_mb(victim)
        when = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        run.rec.kills.append({"kind": kind, "proc": proc.name, "pid": victim, "at": when})
        run.say(f"  ✗ kill -9 {kind} {proc.name} child {victim} ({rss:.0f} MB)")
        expected = 2 if kind == "web" else 1
        deadline = when + 45
        while time.monotonic() < deadline:
            kids_now = [k for k in _children(proc.pid) if k != victim and _alive(k)]
            if len(kids_now) >= expected and not _alive(victim):
                run.rec.kills[-1]["restarted_s"] = time.monotonic() - when
                break
            time.sleep(0.1)
        else:
            run.rec.kills[-1]["restarted_s"] = None
            run.note(f"{proc.name}: child {victim} not replaced within 45 s")


def _spread(count: int, first: float) -> list[float]:
    """Fractions of the run: web kills from 20 % to 60 %, consumer kills 35 % to 75 %."""
    if count <= 0:
        return []
    if count == 1:
        return [first + 0.15]
    step = 0.4 / (count - 1)
    return [first + i * step for i in range(count)]


def _sampler(run: Run) -> None:
    while not run.sampler_stop.wait(2.0):
        run.rss.append((time.monotonic(), run.inst.rss()))


# ---------------------------------------------------------------- the run


class Run:
    def __init__(self, opts: Options, say):
        self.opts, self.say = opts, say
        self.rec = Recorder(opts.max_requests)
        self.inst = Instance(opts, say)
        self.stop = threading.Event()  # no new work
        self.hard_stop = threading.Event()  # abandon retries too
        self.sampler_stop = threading.Event()
        self.sent: dict[str, dict] = {}
        self.photos: dict[str, dict] = {}
        self.relogins: list[bool] = []
        self.rss: list[tuple[float, dict]] = []
        self.load_start = 0.0
        self.lock = threading.Lock()
        self.photo_budget = opts.max_photos
        self._rngs: dict[str, random.Random] = {}
        self.base_images: list[bytes] = []

    def note(self, text: str) -> None:
        with self.lock:
            self.rec.notes.append(text)

    def rng_for(self, key: str) -> random.Random:
        with self.lock:
            return self._rngs.setdefault(key, random.Random(hash(key)))

    def take_photo(self, rng: random.Random) -> tuple[bytes, str] | None:
        with self.lock:
            if self.photo_budget <= 0:
                return None
            self.photo_budget -= 1
        base = rng.choice(self.base_images)
        if rng.random() < self.opts.bad_photo_share:
            return _bad_image(base, rng)
        return _unique(base), "good"

    def execute(self) -> dict:
        o = self.opts
        servers = o.servers or (2 if o.db == "postgresql" else 1)
        t = time.monotonic()
        self.say(
            f"# chaos run: {o.db}, {o.devices} devices, {o.duration:.0f} s, {servers} server(s)"
        )
        self.inst.prepare()
        self.say(
            f"  instance {self.inst.tmp} ready in {time.monotonic() - t:.1f}s; job worker "
            "command: "
            + ("yes" if self.inst.worker_available else "NO (photos processed in gunicorn)")
        )
        self.base_images = _base_jpegs(6, o.image_size, random.Random(o.seed))
        self.inst.start(servers)
        boot_rss = self.inst.rss()
        self.say(f"  servers {', '.join(self.inst.bases)}; RSS at boot {_fmt_rss(boot_rss)}")
        sampler = threading.Thread(target=_sampler, args=(self,), daemon=True)
        sampler.start()
        self.load_start = time.monotonic()
        names = list(self.inst.world["inspectors"])
        threads = [
            threading.Thread(target=Device(self, i, names[i]).main, daemon=True, name=f"dev{i}")
            for i in range(o.devices)
        ]
        sups = self.inst.world["supervisors"]
        threads += [
            threading.Thread(
                target=Desk(self, sups[i % len(sups)], f"10.30.0.{i + 1}").main, daemon=True
            )
            for i in range(o.desks)
        ]
        if o.storm_rate > 0:
            threads.append(threading.Thread(target=_storm, args=(self,), daemon=True))
        chaos = threading.Thread(target=_chaos, args=(self,), daemon=True)
        for th in threads:
            th.start()
        chaos.start()
        while time.monotonic() - self.load_start < o.duration and self.rec.budget_left():
            time.sleep(0.5)
        self.stop.set()
        self.say(f"  load stopped after {time.monotonic() - self.load_start:.0f}s; draining")
        drain_deadline = time.monotonic() + 45
        for th in threads:
            th.join(timeout=max(0.1, drain_deadline - time.monotonic()))
        self.hard_stop.set()
        for th in threads:
            th.join(timeout=5)
        stuck = [th.name for th in threads if th.is_alive()]
        if stuck:
            self.note(f"client threads still in a request after the drain: {stuck}")
        chaos.join(timeout=5)
        load_end = time.monotonic()
        settle = self.settle_photos(load_end)
        self.sampler_stop.set()
        sampler.join(timeout=5)
        end_rss = self.inst.rss()
        result = self.check(settle)
        result.update(boot_rss=boot_rss, end_rss=end_rss, servers=servers)
        result["load_s"] = load_end - self.load_start
        return result

    # -- checks
    def _engine(self):
        from sqlalchemy import create_engine

        return create_engine(self.inst.db_url)

    def settle_photos(self, load_end: float) -> dict:
        """Wait (at most SETTLE_S) until every completely uploaded photo is final."""
        from sqlalchemy import select

        from server.models import Photo
        from sync.models import Upload

        engine = self._engine()
        ids = [uuid.UUID(p) for p in self.photos]
        waited = None
        rows = {}
        try:
            while True:
                with engine.connect() as conn:
                    uploads = {
                        str(r.photo_id): r.status
                        for r in conn.execute(select(Upload.photo_id, Upload.status))
                    }
                    complete = {p for p, st in uploads.items() if st == "complete"}
                    rows = (
                        {
                            str(r.id): r
                            for r in conn.execute(
                                select(
                                    Photo.id,
                                    Photo.content_status,
                                    Photo.content_error,
                                    Photo.storage_path,
                                ).where(Photo.id.in_(ids))
                            )
                        }
                        if ids
                        else {}
                    )
                done_ids = complete | {p for p, e in self.photos.items() if e["complete"]}
                waiting = [
                    p for p in done_ids if p in rows and rows[p].content_status.value not in FINAL
                ]
                if not waiting:
                    waited = time.monotonic() - load_end
                    break
                if time.monotonic() - load_end > SETTLE_S:
                    break
                time.sleep(1.0)
        finally:
            engine.dispose()
        return {"rows": rows, "complete": done_ids, "waited": waited, "uploads": uploads}

    def check(self, settle: dict) -> dict:
        from sqlalchemy import select

        from server.models import Finding, Photo, Visit
        from sync.models import MutationResult

        engine = self._engine()
        users = [uuid.UUID(u) for u in self.inst.world["inspectors"].values()]
        with engine.connect() as conn:
            stored = {
                str(r.mutation_id): r
                for r in conn.execute(
                    select(
                        MutationResult.mutation_id,
                        MutationResult.status,
                        MutationResult.record_id,
                        MutationResult.user_id,
                    ).where(MutationResult.user_id.in_(users))
                )
            }
            records = {}
            for entity, model in (("visit", Visit), ("finding", Finding), ("photo", Photo)):
                for r in conn.execute(select(model.id).where(model.created_by_id.in_(users))):
                    records.setdefault(str(r.id), []).append(entity)
        engine.dispose()
        acked = {m: e for m, e in self.sent.items() if e["status"] in ("applied", "duplicate")}
        refused = {m: e for m, e in self.sent.items() if e["status"] in ("rejected", "conflict")}
        unanswered = {m: e for m, e in self.sent.items() if e["status"] is None}
        lost = [
            m
            for m, e in acked.items()
            if m not in stored
            or stored[m].status != "applied"
            or str(stored[m].record_id) != e["id"]
            or records.get(e["id"]) != [e["entity"]]
        ]
        sent_ids = {e["id"] for e in self.sent.values()}
        phantom = [r for r in records if r not in sent_ids]
        unknown = [m for m in stored if m not in self.sent]
        # Applied without the device hearing it (cut after the commit, run over): allowed,
        # but the record and its stored answer must agree.
        silent = [m for m, e in unanswered.items() if m in stored and stored[m].status == "applied"]
        inconsistent = [
            m
            for m, e in self.sent.items()
            if (e["id"] in records) != (m in stored and stored[m].status == "applied")
        ]

        rows, complete = settle["rows"], settle["complete"]
        photo_states = Counter()
        bad_photos = []
        for pid, e in self.photos.items():
            row = rows.get(pid)
            state = row.content_status.value if row else "missing"
            done = pid in complete
            photo_states[(e["kind"], state if done else f"incomplete/{state}")] += 1
            if not done:
                continue
            upload = settle["uploads"].get(pid)
            if e["kind"] == "good" and state != "stored":
                bad_photos.append(
                    f"photo {pid} (good, device saw offset = length) → {state} "
                    f"({row.content_error if row else ''}); sync_upload.status {upload}"
                )
            refused_ok = state in ("invalid", "failed") and row.content_error
            if e["kind"] != "good" and not refused_ok:
                bad_photos.append(
                    f"photo {pid} ({e['kind']}) → {state} ({row.content_error}); "
                    f"sync_upload.status {upload}"
                )

        samples = self.rec.samples
        five = [s for s in samples if s.status is not None and s.status >= 500]
        documented = [s for s in five if s.status == 503 and s.retry_after]
        real_5xx = [s for s in five if s not in documented]
        cuts = [s for s in samples if s.status is None]
        cut_by_kill = [s for s in cuts if self.rec.cut_by_kill(s)]
        other_cuts = [s for s in cuts if not self.rec.cut_by_kill(s)]
        logs = self.inst.logs()
        tracebacks = _tracebacks(logs)
        checks = {
            "exactly_once": not lost and not phantom and not unknown and not inconsistent,
            "no_refusals": not refused,
            "photos": not bad_photos and settle["waited"] is not None,
            "no_5xx": not real_5xx and not other_cuts,
        }
        return {
            "checks": checks,
            "ok": all(checks.values()),
            "acked": len(acked),
            "sent": len(self.sent),
            "lost": lost,
            "phantom": phantom,
            "unknown": unknown,
            "silent": silent,
            "inconsistent": inconsistent,
            "refused": refused,
            "unanswered": len(unanswered),
            "photo_states": photo_states,
            "bad_photos": bad_photos,
            "settle_s": settle["waited"],
            "photos_complete": len([p for p in self.photos if p in complete]),
            "real_5xx": real_5xx,
            "documented_503": documented,
            "cut_by_kill": cut_by_kill,
            "other_cuts": other_cuts,
            "tracebacks": tracebacks,
            "kills": list(self.rec.kills),
            "relogins": Counter(self.relogins),
            "notes": list(self.rec.notes),
            "samples": samples,
            "rss": list(self.rss),
            "worker": self.inst.worker_available,
            "gunicorn_conf": self.inst.gunicorn_conf,
            "switched_uploads": sum(1 for e in self.photos.values() if e.get("switched")),
        }


def _tracebacks(logs: dict[str, str]) -> list[tuple[str, str]]:
    """Distinct tracebacks in the servers' logs (by their last line), with the log name."""
    seen, out = set(), []
    for name, text in logs.items():
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                j = i + 1
                while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j]):
                    j += 1
                last = lines[j] if j < len(lines) else ""
                key = (name.split("-")[0], last)
                if key in seen:
                    continue
                seen.add(key)
                start = max(0, i - 2)
                out.append((name, "\n".join(lines[start : j + 1])))
    return out


def _fmt_rss(rss: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items())


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# ---------------------------------------------------------------- the table


def _table(headers: list[str], rows: list[list], title: str, say) -> None:
    """Like bench._common.table, with the last column (free text) aligned left."""
    from bench._common import _cell, _width

    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    last = len(headers) - 1

    def pad(text: str, i: int) -> str:
        room = " " * (widths[i] - _width(text))
        return text + room if i in (0, last) else room + text

    lines = [f"\n{title}"]
    for n, row in enumerate(cells):
        lines.append(("  " + "  ".join(pad(v, i) for i, v in enumerate(row))).rstrip())
        if n == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    say("\n".join(lines))


def report(opts: Options, r: dict, say=print) -> None:

    rows = []
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for s in r["samples"]:
        by_label[s.label].append(s)
    for label in sorted(by_label):
        ss = by_label[label]
        ok = [s.ms for s in ss if s.status is not None and s.status < 500]
        codes = Counter(s.status for s in ss)
        detail = " ".join(f"{c}×{n}" for c, n in sorted(codes.items(), key=lambda kv: str(kv[0])))
        rows.append(
            [
                label,
                len(ss),
                sum(1 for s in ss if s.status and s.status < 300),
                sum(1 for s in ss if s.status and 400 <= s.status < 500),
                sum(1 for s in ss if s.status and s.status >= 500),
                sum(1 for s in ss if s.status is None),
                _pct(ok, 50),
                _pct(ok, 95),
                _pct(ok, 99),
                detail.replace("None", "cut"),
            ]
        )
    blank = ["", "", "", "", "", "", "", ""]

    def check_row(what, n, text, ok=None):
        mark = "" if ok is None else ("PASS " if ok else "FAIL ")
        rows.append([what, n, *blank[:-1], mark + text])

    check_row("—— checks ——", "", "")
    states = ", ".join(f"{k}/{s} {n}" for (k, s), n in sorted(r["photo_states"].items()))
    c = r["checks"]
    check_row(
        "mutations acknowledged",
        r["acked"],
        f"sent {r['sent']}; lost {len(r['lost'])}, phantom {len(r['phantom'])}, "
        f"inconsistent {len(r['inconsistent'])}; applied unheard {len(r['silent'])}, "
        f"unanswered {r['unanswered']}",
        c["exactly_once"],
    )
    check_row("mutations rejected/conflict", len(r["refused"]), "(all sent were valid)",
              c["no_refusals"])  # fmt: skip
    settle = (
        "not within 60 s" if r["settle_s"] is None else f"final {r['settle_s']:.1f} s after load"
    )
    check_row(
        "photos completely uploaded",
        r["photos_complete"],
        f"{settle}; {states}; {r['switched_uploads']} switched server mid-upload",
        c["photos"],
    )
    check_row(
        "5xx (not cut)",
        len(r["real_5xx"]),
        f"unexplained cuts {len(r['other_cuts'])}; documented 503+Retry-After "
        f"{len(r['documented_503'])}; cut by kills {len(r['cut_by_kill'])}",
        c["no_5xx"],
    )
    kills = "; ".join(
        f"{k['kind']} {k['proc']} pid {k['pid']} at +{k['at'] - r['load_start_abs']:.0f}s "
        f"→ back in {k['restarted_s']:.1f}s"
        if k.get("restarted_s") is not None
        else f"{k['kind']} {k['proc']} pid {k['pid']} NOT restarted"
        for k in r["kills"]
    )
    check_row("kill -9", len(r["kills"]), kills or "none")
    relog = r["relogins"]
    check_row(
        "device re-logins during storm",
        sum(relog.values()),
        f"ok {relog.get(True, 0)}, refused {relog.get(False, 0)}",
        relog.get(False, 0) == 0,
    )
    for name in r["boot_rss"]:
        series = [s[name] for _, s in r["rss"] if name in s]
        warm = series[min(len(series) - 1, 5)] if series else float("nan")
        check_row(
            f"RSS {name} (MB)",
            "",
            f"boot {r['boot_rss'][name]:.0f} → warm {warm:.0f} → end {r['end_rss'][name]:.0f} "
            f"(max {max(series, default=float('nan')):.0f})",
        )
    title = (
        f"[{opts.db}] {opts.devices} devices, {r['servers']} server(s), "
        f"{r['load_s']:.0f} s of load, job worker {'on' if r['worker'] else 'ABSENT'}, "
        f"gunicorn.conf.py {'used' if r['gunicorn_conf'] else 'absent'} — "
        f"{'ALL CHECKS PASS' if r['ok'] else 'CHECKS FAILED'}"
    )
    _table(
        ["endpoint / check", "n", "2xx", "4xx", "5xx", "cut", "p50 ms", "p95 ms", "p99 ms",
         "statuses / result"],
        rows,
        title,
        say,
    )  # fmt: skip
    details = []
    for s in r["real_5xx"][:10]:
        details.append(f"5xx: {s.label} → {s.status} on {s.server}")
    for s in r["other_cuts"][:10]:
        details.append(f"cut without a kill: {s.label} on {s.server}: {s.error}")
    for m in r["lost"][:10]:
        details.append(f"lost mutation {m}")
    for m, e in list(r["refused"].items())[:5]:
        details.append(f"refused {e['entity']} {m}: {json.dumps(e.get('answer'))[:300]}")
    details += r["bad_photos"][:10]
    details += [f"note: {n}" for n in r["notes"][:15]]
    for name, tb in r["tracebacks"][:6]:
        details.append(f"traceback in {name}:\n{tb}")
    if details:
        say("\n".join(details))


def run(opts: Options, say=print) -> dict:
    """One run; processes, database and folders are cleaned up whatever happens."""
    r = Run(opts, say if not opts.quiet else (lambda *_: None))
    try:
        result = r.execute()
        result["load_start_abs"] = r.load_start
        result["instance"] = str(r.inst.tmp)
        return result
    finally:
        r.stop.set()
        r.hard_stop.set()
        r.sampler_stop.set()
        r.inst.cleanup()


class HardTimeout(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgresql", "all"), default="all")
    p.add_argument("--devices", type=int, default=50)
    p.add_argument("--duration", type=float, default=120.0, help="seconds of load (max 900)")
    p.add_argument("--max-requests", type=int, default=50_000)
    p.add_argument("--max-photos", type=int, default=400)
    p.add_argument("--web-kills", type=int, default=2)
    p.add_argument("--worker-kills", type=int, default=2)
    p.add_argument("--servers", type=int, default=None)
    p.add_argument("--storm-rate", type=float, default=4.0)
    p.add_argument("--redis-db", type=int, default=13)
    p.add_argument("--keep", action="store_true", help="keep the instance folder and logs")
    p.add_argument("--_setup", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._setup:
        _setup_world(int(args._setup[0]), args._setup[1])
        return 0
    duration = min(max(args.duration, 10.0), 900.0)
    dbs = ["sqlite", "postgresql"] if args.db == "all" else [args.db]

    def on_alarm(*_):
        raise HardTimeout("hard wall-clock cap reached")

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    failed = False
    for db in dbs:
        opts = Options(
            db=db,
            devices=args.devices,
            duration=duration,
            max_requests=args.max_requests,
            max_photos=args.max_photos,
            web_kills=args.web_kills,
            worker_kills=args.worker_kills,
            servers=args.servers,
            storm_rate=args.storm_rate,
            redis_db=args.redis_db,
            keep=args.keep,
        )
        signal.alarm(int(duration + 600))  # setup + drain + settle are bounded well below
        try:
            result = run(opts)
        except KeyboardInterrupt:
            print("interrupted: processes stopped, instance removed")
            return 130
        except (HardTimeout, RuntimeError) as exc:
            print(f"!! {db}: {exc}")
            failed = True
            continue
        finally:
            signal.alarm(0)
        report(opts, result)
        failed |= not result["ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
