"""The ways a photo can be refused, as AppError types the API renders."""
from __future__ import annotations

from app.errors import Forbidden, NotFound, PayloadTooLarge, UnsupportedMedia, ValidationFailed


class UnsupportedPhotoType(UnsupportedMedia):
    code = "unsupported_photo_type"
    message = "请上传照片（JPEG、PNG、WebP 或 HEIC）。"


class CorruptPhoto(ValidationFailed):
    code = "corrupt_photo"
    message = "照片已损坏或不完整，请重新拍摄或上传。"


class PhotoTooLarge(PayloadTooLarge):
    code = "photo_too_large"
    message = "照片文件太大。"


class PhotoTooManyPixels(PayloadTooLarge):
    code = "photo_too_many_pixels"
    message = "照片像素太高，请换一张小一些的。"


class InvalidPhotoLink(Forbidden):
    code = "invalid_photo_link"
    message = "照片链接无效。"


class PhotoLinkExpired(Forbidden):
    code = "photo_link_expired"
    message = "照片链接已过期，请刷新页面。"


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message = "这张照片已不可用。"
