"""`process_photo` in child processes, so a decoder can never take a worker down.

A `Decoder` is one pre-started child that decodes photos one after another (JSON lines on
stdin and stdout); a `DecoderPool` holds a bounded number of them for the job worker's
threads, so no photo pays for an interpreter start. A child is replaced after a crash, a
timeout, a memory refusal, or `max_jobs` photos. The parent (a job thread with DB
connections) starts each child with `subprocess` (fork+exec: nothing of the parent's
threads, locks or sockets is inherited; `multiprocessing` fork is never used):

    python -I -c <_BOOTSTRAP> <memory_bytes> <server dir> <server/evidence dir>

The child sets `RLIMIT_AS` to `memory_bytes` before importing anything heavy, registers
`server` and `server.evidence` as bare packages (so `server/__init__.py`, i.e. Flask and
SQLAlchemy, is not imported: the child loads Pillow, pillow-heif, this module, `fonts` and
the `imaging` package only),
reads JSON requests on stdin, one a line, and writes one JSON answer a line on stdout,
until stdin closes. Its stdout is the protocol channel only (fd 1 is pointed at stderr).

Outcomes (`ImageRefused.code`):
- the child's own refusal (format, pixels, corrupt, ...): passed on as is;
- `MemoryError` in the child (an allocation refused under RLIMIT_AS; Pillow raises it
  when it cannot allocate an image), a decoder reporting "out of memory", an unexpected
  error once the child came within 10 % of its limit (a library failing a small
  allocation), or the child dying with an allocation failure on its stderr (glibc aborts
  with "cannot allocate memory for thread-local data" when libheif starts its threads
  under a tight limit): `too_much_memory`;
- still running after `timeout_s`: the child's process group is killed (SIGKILL):
  `timeout`;
- the child dying (a signal such as SIGSEGV/SIGABRT, a non-zero exit, no or bad JSON):
  `worker_failed`, logged with the tail of its stderr.
Partial files (`.*.partial`) a killed child may leave in out_dir are removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from server.evidence.imaging import Caption, ExifInfo, ImageRefused, Processed
from server.evidence.imaging.captions import check_caption

log = logging.getLogger(__name__)

_HERE = Path(__file__).resolve().parent
MEMORY_EXIT = 3  # the child's exit status after a MemoryError it could not report
_OUT_OF_MEMORY = re.compile(r"cannot allocate memory|std::bad_alloc|MemoryError|out of mem", re.I)

_BOOTSTRAP = """\
import resource, sys, types
limit = int(sys.argv[1])
if limit > 0:
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
for name, path in (("server", sys.argv[2]), ("server.evidence", sys.argv[3])):
    module = types.ModuleType(name)
    module.__path__ = [path]
    sys.modules[name] = module
from server.evidence.worker import _child_main
sys.exit(_child_main())
"""


def _child_command(memory_bytes: int) -> list[str]:
    return [
        sys.executable,
        "-I",  # no user site, no PYTHON* variables, no cwd on sys.path
        "-c",
        _BOOTSTRAP,
        str(int(memory_bytes)),
        str(_HERE.parent),
        str(_HERE),
    ]


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # glibc reserves 64 MB of address space per thread arena; RLIMIT_AS counts it.
    env["MALLOC_ARENA_MAX"] = "2"
    # A long-lived decoder reuses its heap for the next photo instead of mapping and
    # faulting in fresh pages for every buffer (~15 % of a 12 MP photo's time); only
    # buffers over 32 MB are mapped, and over 128 MB of free heap is given back.
    env["MALLOC_MMAP_THRESHOLD_"] = str(32 << 20)
    env["MALLOC_TRIM_THRESHOLD_"] = str(128 << 20)
    return env


def process_in_subprocess(
    original: Path,
    out_dir: Path,
    caption: Caption,
    *,
    max_pixels: int,
    timeout_s: float = 60,
    memory_bytes: int = 1_500_000_000,
) -> Processed:
    """`imaging.process_photo` in a child process of its own (started and ended here),
    limited to `memory_bytes` of address space and `timeout_s` seconds of wall-clock time.
    Returns the same Processed; raises ImageRefused (with the codes in the module
    docstring), ValueError for a caption without a timezone."""
    decoder = Decoder(memory_bytes)
    try:
        return decoder.process(original, out_dir, caption, max_pixels, timeout_s)
    finally:
        decoder.close()


# Refusals after which a child is not trusted with another photo.
_REPLACE_AFTER = {"too_much_memory", "timeout", "worker_failed"}


class Decoder:
    """One child process, started at once, decoding photos one after another."""

    def __init__(self, memory_bytes: int):
        self.jobs = 0
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the child)
        self._process = subprocess.Popen(
            _child_command(memory_bytes),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=_child_env(),
            cwd=str(_HERE),
            start_new_session=True,  # its own process group, killed as a whole
        )

    def alive(self) -> bool:
        return self._process.poll() is None

    def process(
        self, original: Path, out_dir: Path, caption: Caption, max_pixels: int, timeout_s: float
    ) -> Processed:
        check_caption(caption)
        original, out_dir = Path(original).resolve(), Path(out_dir).resolve()
        request = {
            "original": str(original),
            "out_dir": str(out_dir),
            "caption": {**asdict(caption), "captured_at": caption.captured_at.isoformat()},
            "max_pixels": int(max_pixels),
        }
        self.jobs += 1
        errors_from = self._errors.seek(0, os.SEEK_END)
        try:
            line = self._exchange(json.dumps(request).encode() + b"\n", timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            _remove_partials(out_dir)
            raise ImageRefused(
                "timeout",
                f"图片处理超时(超过 {timeout_s:g} 秒),已中止",
                f"killed after {timeout_s:g} s",
            ) from None
        except BaseException:
            self.kill()
            raise
        if not line:  # the child died: its exit status and stderr say how
            self.kill()
        return _result(self._process.returncode or 0, line, self._stderr(errors_from), out_dir)

    def _exchange(self, request: bytes, timeout_s: float) -> bytes:
        """Send one request line and wait for one answer line (b"" if the child died)."""
        try:
            self._process.stdin.write(request)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            return b""
        stdout = self._process.stdout
        ready, _, _ = select.select([stdout], [], [], timeout_s)
        if not ready:
            raise subprocess.TimeoutExpired(self._process.args, timeout_s)
        return stdout.readline()

    def _stderr(self, since: int) -> str:
        self._errors.seek(max(since, self._errors.seek(0, os.SEEK_END) - 4000))
        return self._errors.read().decode("utf-8", "replace")

    def kill(self) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)
        self._process.kill()
        self._process.wait()

    def close(self) -> None:
        """End the child: stdin closed, it exits; killed if it does not."""
        with contextlib.suppress(OSError):
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._process.stdout.close()
        self._errors.close()


class DecoderPool:
    """`size` pre-started decoders shared by the job threads: a photo waits for a free
    one (the bound), a decoder that failed or did `max_jobs` photos is replaced."""

    def __init__(self, size: int, memory_bytes: int, max_jobs: int):
        self.memory_bytes, self.max_jobs = memory_bytes, max_jobs
        self._idle: queue.LifoQueue[Decoder | None] = queue.LifoQueue()
        for _ in range(size):
            self._idle.put(Decoder(memory_bytes))

    def process(
        self, original: Path, out_dir: Path, caption: Caption, max_pixels: int, timeout_s: float
    ) -> Processed:
        decoder = self._idle.get()
        try:
            if decoder is None or not decoder.alive():
                decoder = Decoder(self.memory_bytes)
            return decoder.process(original, out_dir, caption, max_pixels, timeout_s)
        except ImageRefused as refused:
            if refused.code in _REPLACE_AFTER:
                decoder = self._retire(decoder)
            raise
        except BaseException:
            decoder = self._retire(decoder)
            raise
        finally:
            if decoder is not None and decoder.jobs >= self.max_jobs:
                decoder = self._retire(decoder)
            self._idle.put(decoder)  # None: the next photo starts a new one

    @staticmethod
    def _retire(decoder: Decoder | None) -> None:
        if decoder is not None:
            decoder.close()
        return None

    def close(self) -> None:
        while not self._idle.empty():
            self._retire(self._idle.get_nowait())


def _remove_partials(out_dir: Path) -> None:
    for partial in out_dir.glob(".*.partial"):
        partial.unlink(missing_ok=True)


def _result(returncode: int, out: bytes, stderr_tail: str, out_dir: Path) -> Processed:
    answer = None
    if returncode == 0:
        try:
            answer = json.loads(out)
        except ValueError:
            answer = None
    if answer is None:
        _remove_partials(out_dir)
        if returncode == MEMORY_EXIT:
            raise ImageRefused("too_much_memory", reason="child exited after a MemoryError")
        if returncode != 0 and _OUT_OF_MEMORY.search(stderr_tail):
            # e.g. glibc aborting "cannot allocate memory for thread-local data" when a
            # decoder starts its threads under the limit
            raise ImageRefused("too_much_memory", reason=f"child died: {stderr_tail[-300:]}")
        how = (
            f"killed by {signal.Signals(-returncode).name}"
            if returncode < 0 and -returncode in signal.valid_signals()
            else f"exit status {returncode}"
        )
        log.warning("photo worker failed (%s); stderr: %s", how, stderr_tail.strip()[-2000:])
        raise ImageRefused("worker_failed", reason=how)
    if not answer.get("ok"):
        _remove_partials(out_dir)
        code = answer.get("code") or "worker_failed"
        if code == "worker_failed":
            log.warning("photo worker error: %s; stderr: %s", answer.get("reason"), stderr_tail)
        raise ImageRefused(code, answer.get("message"), answer.get("reason"))
    return _processed_from_json(answer["processed"])


# --- (de)serialisation


def _processed_to_json(processed: Processed) -> dict:
    data = asdict(processed)
    taken_at = processed.exif.taken_at
    data["exif"]["taken_at"] = taken_at.isoformat() if taken_at else None
    return data


def _processed_from_json(data: dict) -> Processed:
    exif = dict(data["exif"])
    if exif.get("taken_at"):
        exif["taken_at"] = datetime.fromisoformat(exif["taken_at"])
    return Processed(**{**data, "exif": ExifInfo(**exif)})


def _caption_from_json(data: dict) -> Caption:
    return Caption(**{**data, "captured_at": datetime.fromisoformat(data["captured_at"])})


# --- the child


def _child_main() -> int:
    """Entry point of the child process (see _BOOTSTRAP): one answer per request line."""
    import faulthandler

    faulthandler.enable()  # a crashing decoder leaves a traceback on stderr
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints of libraries go to stderr, not into the answers
    for line in sys.stdin:
        answer = _answer(line)
        try:
            channel.write(json.dumps(answer) + "\n")
            channel.flush()
        except MemoryError:
            return MEMORY_EXIT
        if answer.get("code") == "too_much_memory":
            return 0  # its heap is suspect: the parent starts a fresh child
    return 0


def _answer(line: str) -> dict:
    import traceback

    try:
        request = json.loads(line)
        from server.evidence.imaging import process_photo

        processed = process_photo(
            Path(request["original"]),
            Path(request["out_dir"]),
            _caption_from_json(request["caption"]),
            max_pixels=int(request["max_pixels"]),
        )
        return {"ok": True, "processed": _processed_to_json(processed)}
    except ImageRefused as exc:
        return {"ok": False, "code": exc.code, "message": exc.message, "reason": exc.reason}
    except MemoryError:
        return {"ok": False, "code": "too_much_memory", "reason": "MemoryError"}
    except Exception as exc:
        traceback.print_exc()
        from server.evidence.imaging import near_memory_limit

        code = "too_much_memory" if near_memory_limit() else "worker_failed"
        return {"ok": False, "code": code, "reason": repr(exc)[:500]}
