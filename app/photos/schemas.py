"""The JSON shape of a stored photo wherever one is shown: signed links, never a path or a key."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from app.photos.service import photo_links


class PhotoLinkSchema(Schema):
    url = fields.String(metadata={"description": "The photo (JPEG, no metadata); the link expires"})
    thumbnail_url = fields.String(metadata={"description": "Its thumbnail; the link expires"})
    width = fields.Integer()
    height = fields.Integer()


class SignedPhoto(fields.Nested):
    """A row's stored photo (an object with image_key, thumbnail_key, width, height) as its links."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(PhotoLinkSchema, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        shown = {**photo_links(image_key=value.image_key, thumbnail_key=value.thumbnail_key),
                 "width": value.width, "height": value.height}
        return super()._serialize(shown, attr, obj, **kwargs)
