"""The ways a photo can be refused, as AppError types the API renders."""
from __future__ import annotations

from app.errors import Forbidden, NotFound, PayloadTooLarge, UnsupportedMedia, ValidationFailed


class UnsupportedPhotoType(UnsupportedMedia):
    code = "unsupported_photo_type"
    message = "Please send a photo (JPEG, PNG, WebP or HEIC)."


class CorruptPhoto(ValidationFailed):
    code = "corrupt_photo"
    message = "This photo is damaged or incomplete; please take or send it again."


class PhotoTooLarge(PayloadTooLarge):
    code = "photo_too_large"
    message = "This photo file is too large."


class PhotoTooManyPixels(PayloadTooLarge):
    code = "photo_too_many_pixels"
    message = "This photo has too many pixels; please send a smaller one."


class InvalidPhotoLink(Forbidden):
    code = "invalid_photo_link"
    message = "This photo link is not valid."


class PhotoLinkExpired(Forbidden):
    code = "photo_link_expired"
    message = "This photo link has expired; please reload the report."


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "This photo is no longer available."
