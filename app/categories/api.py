"""Category endpoints."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.models import Role
from app.categories import service
from app.categories.schemas import CategorySchema
from app.common.auth import roles_required

blp = Blueprint("categories", __name__, url_prefix="/api/v1/categories",
                description="Hazard categories a rider can report.")


@blp.route("")
class Categories(MethodView):
    @blp.response(200, CategorySchema(many=True))
    def get(self):
        """List the active categories (no login needed); a bare array, as clients expect."""
        return service.list_categories()

    @roles_required(Role.ADMIN)
    @blp.arguments(CategorySchema)
    @blp.response(201, CategorySchema)
    def post(self, fields):
        """Add a category (admin)."""
        return service.create_category(fields=fields)
