"""What other domains call: the configured limits, threads and store, and signed links."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, has_request_context, url_for

from app.photos.pipeline import PhotoLimits
from app.photos.signing import PhotoLink, link_expiry, sign_photo_key, verify_photo_token
from app.photos.storage import PhotoStore, StoredFile
from app.photos.threads import PhotoWorkers, workers_with

_DEFAULT_TTL_SECONDS = 3600


@dataclass(frozen=True)
class StoredPhoto:
    """The two files of one processed photo, and which of them this request created."""

    image: StoredFile
    thumbnail: StoredFile

    @property
    def image_key(self) -> str:
        return self.image.key

    @property
    def thumbnail_key(self) -> str:
        return self.thumbnail.key


@dataclass(frozen=True)
class ServedPhoto:
    """The bytes of the file a valid link points at, and the link (for how long it stays valid)."""

    data: bytes = field(repr=False)
    link: PhotoLink


def photo_limits() -> PhotoLimits:
    """The pipeline limits from the app's config (MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS)."""
    defaults = PhotoLimits()
    return PhotoLimits(
        max_bytes=current_app.config.get("MAX_PHOTO_BYTES", defaults.max_bytes),
        max_pixels=current_app.config.get("MAX_PHOTO_PIXELS", defaults.max_pixels),
    )


def photo_workers() -> PhotoWorkers:
    """This process's photo threads (PHOTO_THREADS of them)."""
    return workers_with(int(current_app.config.get("PHOTO_THREADS", 2)))


def photo_store() -> PhotoStore:
    """The photo store in the app's UPLOAD_DIR."""
    return PhotoStore(current_app.config["UPLOAD_DIR"])


def photo_url(key: str, *, variant: str = "image", external: bool = False) -> str:
    """The signed, expiring URL of a stored file (root-relative unless `external`)."""
    token = sign_photo_key(
        key,
        secret=current_app.config["SECRET_KEY"],
        expires_in=_ttl_seconds(),
        variant=variant,
    )
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("photos.serve_photo", token=token, _external=external)
    root = (current_app.config.get("APPLICATION_ROOT") or "/").rstrip("/")
    return f"{root}/api/v1/photos/{token}"  # outside a request (CLI, workers): no host to build on


def photo_links(*, image_key: str, thumbnail_key: str) -> dict[str, str]:
    """A stored photo as the API shows it: signed, expiring links to the image and its thumbnail."""
    return {"url": photo_url(image_key, variant="image"),
            "thumbnail_url": photo_url(thumbnail_key, variant="thumbnail")}


def photo_links_expiry() -> int:
    """The expiry every photo link signed now carries: a response's links change when it does."""
    return link_expiry(_ttl_seconds())


def resolve_photo_link(*, token: str) -> ServedPhoto:
    """The file a signed link points at; InvalidPhotoLink/PhotoLinkExpired (403), PhotoNotFound (404)."""
    link = verify_photo_token(token, secret=current_app.config["SECRET_KEY"], max_age=_ttl_seconds())
    # Read whole (a processed photo is well under a few MB) so a file removed meanwhile is a clean 404.
    return ServedPhoto(data=photo_store().read(link.key), link=link)


def _ttl_seconds() -> int:
    return int(current_app.config.get("PHOTO_URL_TTL_SECONDS", _DEFAULT_TTL_SECONDS))
