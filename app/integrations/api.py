"""Admin endpoints of integrations: issue a key (shown once), list, disable or enable."""
from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.pagination import paginate
from app.integrations import service
from app.integrations.schemas import (
    IntegrationActiveSchema,
    IntegrationInSchema,
    IntegrationListArgsSchema,
    IntegrationPageSchema,
    IntegrationSchema,
    IssuedIntegrationSchema,
)

blp = Blueprint("integrations", __name__, url_prefix="/api/v1/integrations",
                description="Hotlines and third parties: Open311 keys scoped to an area, status callbacks.")


@blp.route("", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(IntegrationInSchema)
@blp.response(201, IssuedIntegrationSchema)
def create_integration(form: dict[str, Any]):
    """Issue an integration's API key for one area (the key and callback secret are shown once)."""
    issued = service.create_integration(actor=current_user, **form)
    shown = {name: getattr(issued.integration, name) for name in IntegrationSchema().fields}
    return {**shown, "api_key": issued.api_key, "callback_secret": issued.callback_secret}


@blp.route("", methods=["GET"])
@roles_required(Role.ADMIN)
@blp.arguments(IntegrationListArgsSchema, location="query")
@blp.response(200, IntegrationPageSchema)
def list_integrations(args: dict[str, int]):
    """Integrations, newest first (never their keys)."""
    return paginate(service.list_integrations(), page=args["page"], per_page=args["per_page"])


@blp.route("/<int:integration_id>", methods=["PATCH"])
@roles_required(Role.ADMIN)
@blp.arguments(IntegrationActiveSchema)
@blp.response(200, IntegrationSchema)
def set_active(form: dict[str, bool], integration_id: int):
    """Disable an integration (its key stops working at once) or enable it again."""
    return service.set_integration_active(integration_id=integration_id, active=form["active"])
