"""Server memory while receiving a 50 MB photo upload over tus.

Starts the real server in a subprocess (gunicorn, one worker with 4 threads as
`make run`, on a SQLite database in a temporary instance directory: `flask db upgrade`
and `flask seed-demo` first), signs in as the demo inspector, pushes a finding and the
photo record (sha256 and size of a random 50 MB file), then uploads the content with
tus in two ways:

- one PATCH whose body is the file object, streamed by the client;
- ten PATCHes of 5 MB, each with an `Upload-Checksum: sha1 ...` header.

The worker's RSS is read from /proc/<pid>/status: VmRSS before, every ~20 ms during (a
sampling thread) and after; VmHWM (the kernel's peak RSS, reset through
/proc/<pid>/clear_refs before each upload when allowed) catches peaks between samples.
Each upload is then verified: HEAD offset == length, the original stored with the same
bytes, and the photo's `content_status` as a pull shows it (the payload is random bytes,
not a picture: after upload the image processing, in its own child process, marks it
`invalid`; the original is kept all the same). A small upload first
warms the code paths. Figures are printed, never asserted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from _common import REPO, footer, header, parse_args, random_secret, table, verdict

MiB = 1024 * 1024
FILE_BYTES = 50 * MiB
CHUNK_BYTES = 5 * MiB
TARGET_GROWTH_MiB = 20
SAMPLE_SECONDS = 0.02
THREADS = 4  # as `make run` (gthread worker); one worker process, so one RSS to watch
TUS = {"Tus-Resumable": "1.0.0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(instance: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ZHICHA_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.update(
        {
            "FLASK_APP": "wsgi",
            "ZHICHA_ENV": "test",
            "ZHICHA_SECRET_KEY": random_secret(),
            "ZHICHA_JWT_SECRET_KEY": random_secret(),
            "ZHICHA_INSTANCE_DIR": str(instance),
            "ZHICHA_UPLOAD_MAX_BYTES": str(64 * MiB),
            "ZHICHA_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_flask(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def read_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key.rstrip(":")] = int(amount) * 1024
    return values


def reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def worker_pid(master: int, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("gunicorn started no worker")


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while not self.stopping.is_set():
            try:
                rss = read_status(self.pid)["VmRSS"]
            except (OSError, KeyError):
                break
            self.samples.append((time.perf_counter() - start, rss))
            self.stopping.wait(SAMPLE_SECONDS)

    def stop(self) -> list[tuple[float, int]]:
        self.stopping.set()
        self.join()
        return self.samples


class Api:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()
        self.headers: dict = {}
        self.device_id = str(uuid.uuid4())
        self.cursor: str | None = None

    def login(self, username: str, password: str) -> None:
        response = self.http.post(
            f"{self.base}/api/auth/login", json={"username": username, "password": password}
        )
        response.raise_for_status()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def pull(self) -> list[dict]:
        changes = []
        while True:
            params = {"cursor": self.cursor} if self.cursor else {}
            response = self.http.get(
                f"{self.base}/api/sync/pull", headers=self.headers, params=params
            )
            response.raise_for_status()
            body = response.json()
            changes += body["changes"]
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return changes

    def push(self, entity: str, data: dict) -> str:
        record_id = str(uuid.uuid4())
        mutation = {
            "mutation_id": str(uuid.uuid4()),
            "entity": entity,
            "op": "create",
            "id": record_id,
            "base_version": None,
            "data": data,
            "client_time": "2026-11-20T09:14:03.120+08:00",
        }
        response = self.http.post(
            f"{self.base}/api/sync/push",
            headers=self.headers,
            json={"device_id": self.device_id, "mutations": [mutation]},
        )
        response.raise_for_status()
        result = response.json()["results"][0]
        if result["status"] != "applied":
            raise RuntimeError(f"push of {entity} not applied: {result}")
        return record_id

    def photo(self, finding_id: str, sha256: str, size: int) -> str:
        return self.push(
            "photo",
            {
                "parent_type": "finding",
                "parent_id": finding_id,
                "sha256": sha256,
                "size_bytes": size,
                "mime_type": "image/jpeg",
                "captured_at": "2026-11-20T09:15:00+08:00",
                "lat": 26.4533,
                "lon": 106.9769,
                "accuracy_m": 8.5,
                "location_source": "geolocation",
            },
        )

    def create_upload(self, photo_id: str, sha256: str, size: int) -> str:
        metadata = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}"
            for k, v in {"photo_id": photo_id, "sha256": sha256, "filename": "bench.jpg"}.items()
        )
        response = self.http.post(
            f"{self.base}/api/uploads",
            headers={
                **self.headers,
                **TUS,
                "Upload-Length": str(size),
                "Upload-Metadata": metadata,
            },
        )
        if response.status_code != 201:
            raise RuntimeError(f"tus POST answered {response.status_code}: {response.text}")
        return self.base + response.headers["Location"]

    def patch(self, url: str, offset: int, body, checksum: str | None = None) -> int:
        headers = {
            **self.headers,
            **TUS,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        if checksum:
            headers["Upload-Checksum"] = checksum
        response = self.http.patch(url, headers=headers, data=body)
        if response.status_code != 204:
            raise RuntimeError(f"tus PATCH answered {response.status_code}: {response.text}")
        return int(response.headers["Upload-Offset"])

    def head(self, url: str) -> tuple[int, int]:
        response = self.http.head(url, headers={**self.headers, **TUS})
        response.raise_for_status()
        return int(response.headers["Upload-Offset"]), int(response.headers["Upload-Length"])


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            block = os.urandom(min(MiB, remaining))
            digest.update(block)
            handle.write(block)
            remaining -= len(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(MiB):
            digest.update(block)
    return digest.hexdigest()


def upload_single(api: Api, url: str, path: Path) -> None:
    with open(path, "rb") as handle:
        api.patch(url, 0, handle)


def upload_chunks(api: Api, url: str, path: Path) -> None:
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            sha1 = base64.b64encode(hashlib.sha1(chunk).digest()).decode()
            offset = api.patch(url, offset, chunk, checksum=f"sha1 {sha1}")


def measure(api: Api, pid: int, label: str, finding_id: str, path: Path, sha: str, how) -> dict:
    size = path.stat().st_size
    photo_id = api.photo(finding_id, sha, size)
    url = api.create_upload(photo_id, sha, size)
    peak_reset = reset_peak(pid)
    time.sleep(0.2)  # let the server settle after the POST
    before = read_status(pid)
    sampler = Sampler(pid)
    sampler.start()
    started = time.perf_counter()
    how(api, url, path)
    seconds = time.perf_counter() - started
    time.sleep(0.1)
    samples = sampler.stop()
    after = read_status(pid)
    time.sleep(1.0)
    settled = read_status(pid)["VmRSS"]
    offset, length = api.head(url)
    sampled_peak = max(rss for _, rss in samples)
    peak = max(sampled_peak, after["VmHWM"] if peak_reset else sampled_peak)
    return {
        "label": label,
        "photo_id": photo_id,
        "sha256": sha,
        "seconds": seconds,
        "size": size,
        "baseline": before["VmRSS"],
        "peak": peak,
        "sampled_peak": sampled_peak,
        "hwm": after["VmHWM"],
        "peak_reset": peak_reset,
        "after": after["VmRSS"],
        "settled": settled,
        "samples": len(samples),
        "offset_ok": offset == length == size,
    }


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--threads",
            str(THREADS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            if requests.options(f"{base}/api/uploads", timeout=1).status_code == 204:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer in time")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args, tmp: Path) -> tuple[list[dict], dict]:
    instance = tmp / "instance"
    env = server_env(instance)
    run_flask(env, "db", "upgrade")
    run_flask(env, "seed-demo")
    accounts = json.loads((instance / "demo-accounts.json").read_text())
    inspector = next(a for a in accounts if a["role"] == "inspector")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp / "gunicorn.log"
    process = start_server(env, port, log)
    try:
        wait_ready(base, process)
        pid = worker_pid(process.pid)
        api = Api(base)
        api.login(inspector["username"], inspector["password"])
        reference = api.pull()
        plan = next(c for c in reference if c["entity"] == "plan")
        finding_id = api.push(
            "finding",
            {
                "plan_id": plan["id"],
                "site_id": plan["data"]["site_ids"][0],
                "visit_id": None,
                "title": "内存基准",
                "description": "",
                "category": "other",
                "severity": "low",
                "unit_id": None,
                "lat": 26.4533,
                "lon": 106.9769,
                "accuracy_m": 8.5,
                "observed_at": "2026-11-20T09:14:00+08:00",
            },
        )
        size = (10 if args.quick else 50) * MiB
        small = tmp / "warmup.bin"
        big = tmp / "photo.bin"
        small_sha = make_file(small, 256 * 1024)
        sha = make_file(big, size)
        warm = measure(api, pid, "warm-up 256 KiB", finding_id, small, small_sha, upload_single)
        scenarios = [
            (f"1 PATCH, streamed file ({size // MiB} MiB)", upload_single),
            (f"{-(-size // CHUNK_BYTES)} PATCHes of 5 MiB + sha1", upload_chunks),
        ]
        results = [warm]
        for label, how in scenarios:
            results.append(measure(api, pid, label, finding_id, big, sha, how))
        # The photos' content_status as a device sees it.
        photos = {c["id"]: c for c in api.pull() if c["entity"] == "photo" and c["op"] == "upsert"}
        stored_dir = instance / "storage" / "originals"
        stored = {p.stem: p for p in stored_dir.rglob("*") if p.is_file()}
        for r in results:
            photo = photos.get(r["photo_id"], {})
            r["status"] = photo.get("data", {}).get("content_status", "missing")
            kept = stored.get(r["photo_id"])
            r["stored_ok"] = kept is not None and file_sha256(kept) == r["sha256"]
        server = {
            "master": process.pid,
            "worker": pid,
            "final": read_status(pid),
            "log": log.read_text(errors="replace")[-2000:],
        }
    finally:
        stop_server(process)
    return results, server


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    watch = header("upload memory (bench/upload_memory.py)", args)
    print(
        f"# server: gunicorn, 1 worker x {THREADS} threads (as `make run`), SQLite "
        "(the database does not matter here)"
    )
    with tempfile.TemporaryDirectory(prefix="zhicha-bench-upload-") as tmp:
        try:
            results, server = run(args, Path(tmp))
        except Exception:
            log = Path(tmp) / "gunicorn.log"
            if log.exists():
                print(log.read_text(errors="replace")[-3000:])
            raise
    rows = []
    for r in results:
        growth = (r["peak"] - r["baseline"]) / MiB
        rows.append(
            [
                r["label"],
                r["seconds"],
                r["size"] / MiB / r["seconds"],
                r["baseline"] / MiB,
                r["peak"] / MiB,
                growth,
                r["after"] / MiB,
                r["settled"] / MiB,
                r["samples"],
                f"<= {TARGET_GROWTH_MiB} MiB",
                verdict(growth, TARGET_GROWTH_MiB, higher_is_better=False),
                "yes" if r["offset_ok"] else "NO",
                "yes" if r["stored_ok"] else "NO",
                r["status"],
            ]
        )
    table(
        [
            "upload",
            "seconds",
            "MiB/s",
            "RSS before MiB",
            "peak MiB",
            "growth MiB",
            "after MiB",
            "after 1 s",
            "samples",
            "target",
            "",
            "offset=len",
            "kept, sha ok",
            "content_status",
        ],
        rows,
        title=f"worker RSS (pid {server['worker']}; sampled every {SAMPLE_SECONDS * 1000:.0f} ms)",
    )
    for r in results:
        source = "VmHWM after reset" if r["peak_reset"] else "sampling only (no clear_refs)"
        print(
            f"  {r['label']}: peak from {source}: HWM {r['hwm'] / MiB:.1f} MiB, "
            f"highest sample {r['sampled_peak'] / MiB:.1f} MiB"
        )
    print(f"  worker at the end: VmRSS {server['final']['VmRSS'] / MiB:.1f} MiB")
    footer(watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
