"""tus 1.0.0 uploads (core, creation, checksum, termination), with no web framework.

Bodies are streamed to a partial file in bounded chunks and fsynced; nothing is held in
memory. The partial file's size is the offset. A per-chunk checksum that does not match
drops the chunk (460); the whole file's SHA-256 is checked against the photo record when
the last byte arrives (460 and the upload is discarded when it does not match)."""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.models import Upload
from sync.registry import Principal
from sync.types import utcnow

TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,checksum,termination"
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
CHUNK = 64 * 1024
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class TusError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class PhotoInfo:
    sha256: str
    size_bytes: int
    stored: bool


class PhotoGate(Protocol):
    """What the application tells the upload core about photos."""

    def photo_for_upload(
        self, session: Session, principal: Principal, photo_id: uuid.UUID
    ) -> PhotoInfo | None:
        """The photo if it exists and `principal` may upload its content, else None."""

    def content_arrived(
        self, session: Session, principal: Principal, photo_id: uuid.UUID, path: Path
    ) -> None:
        """The verified content is at `path`: move it into storage and mark the photo."""


class UploadStore:
    def __init__(self, root: Path, max_bytes: int):
        self.root = Path(root)
        self.max_bytes = max_bytes
        (self.root / "partial").mkdir(parents=True, exist_ok=True)

    def partial(self, upload_id: uuid.UUID) -> Path:
        return self.root / "partial" / f"{upload_id}.part"


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key base64,key base64` → dict; a value may be absent (empty string)."""
    result: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, value = pair.partition(" ")
        try:
            result[key] = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as error:
            raise TusError(
                400, "bad_metadata", f"Upload-Metadata 中 {key} 不是有效的 base64"
            ) from error
    return result


def parse_checksum(header: str | None):
    if not header:
        return None
    algorithm, _, value = header.strip().partition(" ")
    if algorithm not in CHECKSUMS:
        raise TusError(400, "bad_checksum_algorithm", f"不支持的校验算法 {algorithm}")
    try:
        return algorithm, base64.b64decode(value.strip(), validate=True)
    except binascii.Error as error:
        raise TusError(400, "bad_checksum", "Upload-Checksum 不是有效的 base64") from error


def create_upload(
    session: Session,
    store: UploadStore,
    gate: PhotoGate,
    principal: Principal,
    length: int | None,
    metadata: dict[str, str],
) -> tuple[Upload, bool]:
    if length is None or length < 0:
        raise TusError(400, "bad_length", "缺少有效的 Upload-Length")
    if length > store.max_bytes:
        raise TusError(413, "too_large", f"文件超过上限 {store.max_bytes} 字节")
    try:
        photo_id = uuid.UUID(metadata.get("photo_id", ""))
    except ValueError as error:
        raise TusError(400, "bad_metadata", "Upload-Metadata 缺少有效的 photo_id") from error
    sha256 = metadata.get("sha256", "").lower()
    if not SHA256_HEX.match(sha256):
        raise TusError(400, "bad_metadata", "Upload-Metadata 缺少有效的 sha256")
    photo = gate.photo_for_upload(session, principal, photo_id)
    if photo is None:
        raise TusError(404, "not_found", "照片记录不存在或无权上传")
    existing = session.scalar(select(Upload).where(Upload.photo_id == photo_id))
    if existing is not None:
        return existing, False
    if photo.sha256 != sha256 or photo.size_bytes != length:
        raise TusError(422, "photo_mismatch", "上传的文件与照片记录的大小或 sha256 不一致")
    upload = Upload(
        photo_id=photo_id,
        user_id=principal.id,
        length=length,
        sha256=sha256,
        filename=(metadata.get("filename") or "")[:255] or None,
    )
    if photo.stored:
        upload.status, upload.completed_at = "complete", utcnow()
    session.add(upload)
    session.flush()
    if not photo.stored:
        store.partial(upload.id).touch()
    return upload, True


def find_upload(session: Session, principal: Principal, upload_id: str) -> Upload:
    try:
        key = uuid.UUID(upload_id)
    except ValueError as error:
        raise TusError(404, "not_found", "上传不存在") from error
    upload = session.get(Upload, key)
    if upload is None or upload.user_id != principal.id:
        raise TusError(404, "not_found", "上传不存在")
    return upload


def current_offset(store: UploadStore, upload: Upload) -> int:
    if upload.status == "complete":
        return upload.length
    path = store.partial(upload.id)
    if not path.exists():
        path.touch()
    return path.stat().st_size


def append(
    session: Session,
    store: UploadStore,
    gate: PhotoGate,
    principal: Principal,
    upload: Upload,
    offset: int | None,
    body: BinaryIO,
    checksum_header: str | None,
) -> int:
    """Append the body at `offset`; returns the new offset. Ends the session's (read-only)
    transaction before streaming; the finishing writes run in a new one."""
    if offset is None or offset < 0:
        raise TusError(400, "bad_offset", "缺少有效的 Upload-Offset")
    checksum = parse_checksum(checksum_header)
    if upload.status == "complete":
        if offset == upload.length:
            return upload.length
        raise TusError(409, "offset_mismatch", "上传已完成")
    upload_id, length = upload.id, upload.length
    path = store.partial(upload_id)
    # Nothing is written before the body is in: end the transaction so that no database
    # lock or pooled connection is held while a slow phone sends its bytes.
    session.rollback()
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise TusError(409, "upload_busy", "该文件正在另一请求中上传") from error
        start = os.fstat(handle.fileno()).st_size
        if offset != start:
            raise TusError(409, "offset_mismatch", f"偏移量不一致,服务器当前为 {start}")
        written = _stream_into(handle, start, length - start, body, checksum)
    end = start + written
    if end < length:
        return end
    sha256 = sha256_of(path)  # before the transaction: no write lock held while hashing
    upload = session.get(Upload, upload_id)
    if upload is None or upload.status == "complete":
        raise TusError(409, "offset_mismatch", "上传已被终止或已完成")
    _finish(session, store, gate, principal, upload, path, sha256)
    return end


def _stream_into(handle, start: int, room: int, body: BinaryIO, checksum) -> int:
    digest = CHECKSUMS[checksum[0]]() if checksum else None
    handle.seek(start)
    written = 0
    try:
        while True:
            chunk = body.read(CHUNK)
            if not chunk:
                break
            if written + len(chunk) > room:
                raise TusError(413, "too_large", "写入超出 Upload-Length")
            if digest:
                digest.update(chunk)
            handle.write(chunk)
            written += len(chunk)
    except TusError:
        _truncate(handle, start)
        raise
    except Exception:
        # The client went away mid-body. Without a checksum keep what arrived (tus
        # resumes from the offset); with one the chunk cannot be verified: drop it.
        _truncate(handle, start) if digest else _sync(handle)
        raise
    if digest and digest.digest() != checksum[1]:
        _truncate(handle, start)
        raise TusError(460, "checksum_mismatch", "分块校验值不一致,已丢弃该分块")
    _sync(handle)
    return written


def _truncate(handle, size: int) -> None:
    handle.truncate(size)
    _sync(handle)


def _sync(handle) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def settle_full(
    session: Session,
    store: UploadStore,
    gate: PhotoGate,
    principal: Principal,
    upload: Upload,
    sha256: str,
) -> int:
    """Every byte arrived but the request that should have finished the upload died (a
    killed worker, a 503): finish it now, or, if the file is not the photo's (`sha256` is
    its digest, taken before this transaction), empty it so that the device sends it
    again. Returns the offset to report."""
    if upload.status == "complete":
        return upload.length
    path = store.partial(upload.id)
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a PATCH is writing: it will finish the upload itself
            return os.fstat(handle.fileno()).st_size
        if os.fstat(handle.fileno()).st_size != upload.length:
            return os.fstat(handle.fileno()).st_size
        if sha256 != upload.sha256:
            _truncate(handle, 0)
            return 0
        _finish(session, store, gate, principal, upload, path, sha256)
    return upload.length


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _finish(session, store, gate, principal, upload: Upload, path: Path, sha256: str) -> None:
    if sha256 != upload.sha256:
        path.unlink(missing_ok=True)
        session.delete(upload)
        session.flush()
        raise TusError(460, "sha256_mismatch", "整个文件的 sha256 与照片记录不一致,请重新上传")
    gate.content_arrived(session, principal, upload.photo_id, path)
    upload.status, upload.completed_at = "complete", utcnow()
    session.flush()


def terminate(session: Session, store: UploadStore, upload: Upload) -> None:
    if upload.status == "complete":
        raise TusError(403, "complete", "上传已完成,证据不可删除")
    store.partial(upload.id).unlink(missing_ok=True)
    session.delete(upload)
    session.flush()
