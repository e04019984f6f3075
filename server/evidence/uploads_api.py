"""tus 1.0.0 under /api/uploads (creation, checksum, termination); the protocol lives in
sync/tus.py, these routes only translate HTTP."""

from __future__ import annotations

import uuid

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.auth.guards import FIELD_DATA, api_login_required
from server.database import begin_writing_now
from server.errors import ApiError, handle_api_error
from server.evidence.uploads import PhotoGate, upload_store
from server.extensions import db
from server.sync_api.principal import principal_for
from server.transaction import body_limit, keep_writes_on_error
from sync import tus

blp = Blueprint(
    "uploads", __name__, url_prefix="/api/uploads", description="照片内容的断点续传上传(tus 1.0.0)"
)

TUS_HEADERS = {"Tus-Resumable": tus.TUS_VERSION}
# The largest value a header may carry; the server's own limit (Tus-Max-Size) is lower.
HEADER_INT = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
TEXT = {"type": "string"}


def _header(name: str, schema: dict = HEADER_INT, required: bool = True, **description) -> dict:
    """A request header as the OpenAPI document names it."""
    return {"in": "header", "name": name, "required": required, "schema": schema, **description}


RESUMABLE_DOC = _header("Tus-Resumable", {"type": "string", "enum": [tus.TUS_VERSION]})


def _response(code: str, text: str) -> dict:
    if code.startswith(("4", "5")):
        return {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return {"description": text}


def _doc(*extra_params, **responses):
    """Every tus request may also be answered 412 (no `Tus-Resumable: 1.0.0`)."""
    responses = {"_412": "Tus-Resumable missing or not 1.0.0 (see Tus-Version)", **responses}
    return blp.doc(
        parameters=[RESUMABLE_DOC, *extra_params],
        responses={
            code.lstrip("_"): _response(code.lstrip("_"), text) for code, text in responses.items()
        },
    )


@blp.before_request
def check_tus_version():
    if request.method in ("OPTIONS",):
        return None
    if request.headers.get("Tus-Resumable") != tus.TUS_VERSION:
        raise ApiError(
            412,
            "tus_version",
            "仅支持 tus 1.0.0(缺少 Tus-Resumable: 1.0.0)",
            headers={"Tus-Version": tus.TUS_VERSION, **TUS_HEADERS},
        )
    return None


@blp.after_request
def add_tus_headers(response):
    response.headers.update(TUS_HEADERS)
    return response


@blp.errorhandler(tus.TusError)
def tus_error(error: tus.TusError):
    if error.status == 460:
        keep_writes_on_error()  # a discarded upload stays discarded
    return handle_api_error(ApiError(error.status, error.code, error.message))


def _int_header(name: str) -> int | None:
    value = request.headers.get(name)
    # isdigit() alone lets "²" through to int(); a number past 64 bits is no length either.
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    return int(value)


@blp.route("", methods=["OPTIONS"])
@blp.doc(responses={"204": {"description": "tus capabilities"}})
def capabilities():
    """Which tus version, extensions and checksums the server supports."""
    return Response(
        status=204,
        headers={
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": tus.EXTENSIONS,
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUMS),
            "Tus-Max-Size": str(current_app.config["UPLOAD_MAX_BYTES"]),
        },
    )


@blp.route("", methods=["POST"])
@api_login_required(blp, before_password_change=FIELD_DATA)
@_doc(
    _header("Upload-Length"),
    _header("Upload-Metadata", TEXT, description="photo_id, sha256 (base64 values)"),
    _201="Created, or the existing upload of this photo_id (see Location)",
    _400="Upload-Length or Upload-Metadata missing or invalid",
    _404="No such photo of the caller",
    _413="Larger than the upload limit",
    _422="Length or sha256 differ from the photo record",
)
def create():
    """Start (or find again) the upload of one photo's content."""
    upload, _ = tus.create_upload(
        db.session,
        upload_store(),
        PhotoGate(),
        principal_for(current_user),
        _int_header("Upload-Length"),
        tus.parse_metadata(request.headers.get("Upload-Metadata")),
    )
    return Response(
        status=201,
        headers={
            "Location": f"/api/uploads/{upload.id}",
            "Upload-Offset": str(tus.current_offset(upload_store(), upload)),
        },
    )


@blp.route("/<string:upload_id>", methods=["HEAD"])
@api_login_required(blp, before_password_change=FIELD_DATA)
@_doc(_200="Upload-Offset and Upload-Length headers", _404="Unknown upload")
def offset(upload_id):
    """How many bytes the server has."""
    principal = principal_for(current_user)
    upload = tus.find_upload(db.session, principal, upload_id)
    at = tus.current_offset(upload_store(), upload)
    if upload.status != "complete" and at == upload.length:
        at = _settle_full(principal, upload_id)
    return Response(
        status=200,
        headers={
            "Upload-Offset": str(at),
            "Upload-Length": str(upload.length),
            "Cache-Control": "no-store",
        },
    )


def _settle_full(principal, upload_id: str) -> int:
    """All bytes are here but the upload was never finished: hash the file with no
    transaction open, then finish it as a writer (this HEAD writes)."""
    sha256 = tus.sha256_of(upload_store().partial(uuid.UUID(upload_id)))
    db.session.rollback()
    begin_writing_now()
    upload = tus.find_upload(db.session, principal, upload_id)
    return tus.settle_full(db.session, upload_store(), PhotoGate(), principal, upload, sha256)


@blp.route("/<string:upload_id>", methods=["PATCH"])
@body_limit("UPLOAD_MAX_BYTES", streamed=True)
@api_login_required(blp, before_password_change=FIELD_DATA)
@_doc(
    _header("Upload-Offset"),
    _header("Upload-Checksum", TEXT, required=False, description="sha1 or sha256, base64"),
    _204="Appended; Upload-Offset is the new offset",
    _400="Upload-Offset missing or invalid, or Upload-Checksum unreadable",
    _413="More bytes than Upload-Length",
    _404="Unknown upload",
    _409="Offset mismatch",
    _415="Content-Type must be application/offset+octet-stream",
    _460="Chunk checksum or whole-file sha256 mismatch",
)
def append(upload_id):
    """Append bytes at Upload-Offset, streamed to disk."""
    if request.mimetype != "application/offset+octet-stream":
        raise ApiError(415, "bad_content_type", "Content-Type 须为 application/offset+octet-stream")
    principal = principal_for(current_user)
    upload = tus.find_upload(db.session, principal, upload_id)
    new_offset = tus.append(
        db.session,
        upload_store(),
        PhotoGate(),
        principal,
        upload,
        _int_header("Upload-Offset"),
        request.stream,
        request.headers.get("Upload-Checksum"),
    )
    return Response(status=204, headers={"Upload-Offset": str(new_offset)})


@blp.route("/<string:upload_id>", methods=["DELETE"])
@api_login_required(blp, before_password_change=FIELD_DATA)
@_doc(_204="Discarded", _403="Finished uploads are evidence and stay", _404="Unknown upload")
def terminate(upload_id):
    """Discard an unfinished upload."""
    upload = tus.find_upload(db.session, principal_for(current_user), upload_id)
    tus.terminate(db.session, upload_store(), upload)
    return Response(status=204)
