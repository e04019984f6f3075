"""Extensions created unbound; create_app binds them."""

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from server.models.base import Base

db = SQLAlchemy(model_class=Base)
jwt = JWTManager()
migrate = Migrate(render_as_batch=True, compare_type=True)
