"""Serving stored files (photos, campaign leaflets), only through expiring signed links."""
from __future__ import annotations

import io

from flask import Response, send_file
from flask_smorest import Blueprint

from app.photos import service
from app.photos.service import photo_url  # noqa: F401  (the URL builder lives beside the route it targets)

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos",
                description="Photo files (JPEG, no metadata) and PDF leaflets, reached through signed URLs.")

# What each stored kind is served as; a PDF is always a download, never drawn in our origin.
_MEDIA_TYPES = {".jpg": "image/jpeg", ".pdf": "application/pdf"}
_FILE_RESPONSE = {
    "description": "The photo as a JPEG without any metadata, or a campaign's PDF leaflet (as a download).",
    "content": {media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in _MEDIA_TYPES.values()},
}


@blp.route("/<string:token>", methods=["GET"])
@blp.doc(responses={200: _FILE_RESPONSE})
@blp.alt_response(403, response="FORBIDDEN", description="The link is forged, altered or expired.")
@blp.alt_response(404, response="NOT_FOUND", description="The file is no longer stored.")
def serve_photo(token: str) -> Response:
    """One stored file, if its signed link is valid and unexpired (no login: the link is the key)."""
    served = service.resolve_photo_link(token=token)
    suffix = served.link.key[-4:]
    response = send_file(
        io.BytesIO(served.data),
        mimetype=_MEDIA_TYPES[suffix],
        as_attachment=suffix == ".pdf",
        download_name=f"{served.link.variant}{suffix}",
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
