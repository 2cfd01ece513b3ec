"""Serving photo files, only through expiring signed links."""
from __future__ import annotations

import io

from flask import Response, send_file
from flask_smorest import Blueprint

from app.photos import service
from app.photos.service import photo_url  # noqa: F401  (the URL builder lives beside the route it targets)

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos",
                description="Photo files (JPEG, no metadata), reached through the signed URLs in reports.")

_JPEG_RESPONSE = {
    "description": "The photo as a JPEG without any metadata.",
    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/<string:token>", methods=["GET"])
@blp.doc(responses={200: _JPEG_RESPONSE})
@blp.alt_response(403, response="FORBIDDEN", description="The link is forged, altered or expired.")
@blp.alt_response(404, response="NOT_FOUND", description="The photo is no longer stored.")
def serve_photo(token: str) -> Response:
    """One photo file, if its signed link is valid and unexpired (no login: the link is the key)."""
    served = service.resolve_photo_link(token=token)
    response = send_file(
        io.BytesIO(served.data),
        mimetype="image/jpeg",
        download_name=f"{served.link.variant}.jpg",
        etag=served.link.key,  # content-addressed: the key is the content's hash
        conditional=True,
        max_age=served.link.seconds_left(),
    )
    # Private and never past the link's own expiry; the bytes behind a key never change.
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
