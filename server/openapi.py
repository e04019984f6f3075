"""Parts of the OpenAPI document shared by every endpoint."""

from flask_smorest import Api


def document_common_parts(api: Api) -> None:
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
