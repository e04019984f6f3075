"""The one JSON error envelope: {"error": {"code", "message", "details"}}.

API paths (/api/...) always answer with it; pages answer with a Chinese HTML page.
Messages are Chinese (they reach users); codes are stable English identifiers.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

CODES = {
    400: ("bad_request", "请求格式错误"),
    401: ("unauthorized", "未登录或登录已失效"),
    403: ("forbidden", "无权执行此操作"),
    404: ("not_found", "对象不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "与现有数据冲突"),
    412: ("precondition_failed", "协议版本不受支持"),
    413: ("payload_too_large", "请求内容过大"),
    414: ("uri_too_long", "请求地址过长"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的数据未通过校验"),
    429: ("too_many_requests", "请求过于频繁,请稍后再试"),
    431: ("request_header_fields_too_large", "请求头过大"),
    460: ("checksum_mismatch", "校验值不一致"),
    500: ("internal_error", "服务器内部错误"),
    503: ("service_unavailable", "服务暂不可用"),
}


class ApiError(Exception):
    """Raised by operations for an expected refusal; becomes the envelope."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        message: str | None = None,
        details: dict | None = None,
        headers: dict | None = None,
    ):
        default_code, default_message = CODES.get(status, ("error", "请求失败"))
        super().__init__(message or default_message)
        self.status = status
        self.code = code or default_code
        self.message = message or default_message
        self.details = details or {}
        self.headers = headers or {}


def envelope(status: int, code=None, message=None, details=None, headers=None):
    default_code, default_message = CODES.get(status, ("error", "请求失败"))
    body = {
        "error": {
            "code": code or default_code,
            "message": message or default_message,
            "details": details or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found(message: str = "对象不存在") -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(message: str, code: str = "invalid_transition") -> ApiError:
    """A 409: the object is not in a state that allows this."""
    return ApiError(409, code, message)


def field_error(field: str, message: str) -> ApiError:
    """A 422 that names the one field it refuses."""
    return ApiError(422, "validation_error", message, {"fields": {field: [message]}})


def _wants_json() -> bool:
    return request.path.startswith("/api") or request.accept_mimetypes.best == "application/json"


def _validation_details(error: HTTPException) -> dict:
    """webargs puts {"json": {...field errors}} in error.data["messages"]."""
    messages = (getattr(error, "data", None) or {}).get("messages")
    if not messages:
        return {}
    fields: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[f"_{location}"] = errors
    return {"fields": fields}


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status == 500 and isinstance(error, InternalServerError):
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.exception("unhandled error", exc_info=original)
    if not _wants_json():
        return render_error_page(status)
    details = _validation_details(error)
    code = message = None
    fields = details.get("fields", {})
    if status == 400 and fields.get("_json"):
        message = "请求体不是有效的 JSON"
    elif status == 422 and set(fields) == {"_schema"} and fields["_schema"]:
        message = ";".join(str(m) for m in fields["_schema"])  # the body as a whole
    elif status == 405:
        details = {"allowed": sorted(error.valid_methods or [])}
    headers = {}
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 413:
        message = "请求内容过大(超过服务器限制)"
    return envelope(status, code, message, details, headers)


def handle_api_error(error: ApiError):
    if not _wants_json():
        return render_error_page(error.status, error.message)
    return envelope(error.status, error.code, error.message, error.details, error.headers)


def handle_unexpected(error: Exception):
    log.exception("unhandled error", exc_info=error)
    if not _wants_json():
        return render_error_page(500)
    return envelope(500)


def render_error_page(status: int, message: str | None = None):
    title = CODES.get(status, ("error", "请求失败"))[1]
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(Exception, handle_unexpected)
