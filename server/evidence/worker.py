"""`process_photo` in a child process, so a decoder can never take a web worker down.

The parent (a gunicorn thread with DB connections) starts a fresh interpreter with
`subprocess` (fork+exec: nothing of the parent's threads, locks or sockets is inherited;
`multiprocessing` fork is never used):

    python -I -c <_BOOTSTRAP> <memory_bytes> <server dir> <server/evidence dir>

The child sets `RLIMIT_AS` to `memory_bytes` before importing anything heavy, registers
`server` and `server.evidence` as bare packages (so `server/__init__.py`, i.e. Flask and
SQLAlchemy, is not imported: the child loads Pillow, pillow-heif and our two modules only),
reads one JSON request on stdin and writes one JSON answer on stdout. Its stdout is the
protocol channel only (fd 1 is pointed at stderr while working).

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
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from server.evidence.imaging import Caption, ExifInfo, ImageRefused, Processed

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
    """`imaging.process_photo` in a child process limited to `memory_bytes` of address
    space and `timeout_s` seconds of wall-clock time. Returns the same Processed; raises
    ImageRefused (with the codes in the module docstring), ValueError for a caption
    without a timezone."""
    if caption.captured_at.utcoffset() is None:
        raise ValueError("Caption.captured_at must be timezone-aware")
    original, out_dir = Path(original).resolve(), Path(out_dir).resolve()
    request = json.dumps(
        {
            "original": str(original),
            "out_dir": str(out_dir),
            "caption": {**asdict(caption), "captured_at": caption.captured_at.isoformat()},
            "max_pixels": int(max_pixels),
        }
    ).encode()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            _child_command(memory_bytes),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=_child_env(),
            cwd=str(_HERE),
            start_new_session=True,  # its own process group, killed as a whole
        )
        try:
            out, _ = process.communicate(request, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill(process)
            _remove_partials(out_dir)
            raise ImageRefused(
                "timeout",
                f"图片处理超时(超过 {timeout_s:g} 秒),已中止",
                f"killed after {timeout_s:g} s",
            ) from None
        except BaseException:
            _kill(process)
            raise
        errors.seek(0, os.SEEK_END)
        errors.seek(max(0, errors.tell() - 4000))
        stderr_tail = errors.read().decode("utf-8", "replace")
    return _result(process.returncode, out, stderr_tail, out_dir)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    process.communicate()


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
    """Entry point of the child process (see _BOOTSTRAP)."""
    import faulthandler
    import traceback

    faulthandler.enable()  # a crashing decoder leaves a traceback on stderr
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # stray prints of libraries go to stderr, not into the answer
    try:
        request = json.load(sys.stdin)
        from server.evidence.imaging import process_photo

        processed = process_photo(
            Path(request["original"]),
            Path(request["out_dir"]),
            _caption_from_json(request["caption"]),
            max_pixels=int(request["max_pixels"]),
        )
        answer = {"ok": True, "processed": _processed_to_json(processed)}
    except ImageRefused as exc:
        answer = {"ok": False, "code": exc.code, "message": exc.message, "reason": exc.reason}
    except MemoryError:
        answer = {"ok": False, "code": "too_much_memory", "reason": "MemoryError"}
    except Exception as exc:
        traceback.print_exc()
        from server.evidence.imaging import near_memory_limit

        code = "too_much_memory" if near_memory_limit() else "worker_failed"
        answer = {"ok": False, "code": code, "reason": repr(exc)[:500]}
    try:
        channel.write(json.dumps(answer))
        channel.flush()
    except MemoryError:
        return MEMORY_EXIT
    return 0
