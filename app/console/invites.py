"""Invite links and their QR codes (segno: pure Python, drawn as SVG on the server)."""
from __future__ import annotations

from urllib.parse import quote

import segno
from flask import request


def app_link(code: str) -> str:
    """The phone app's registration, with the invite code filled in."""
    return f"{request.host_url.rstrip('/')}/app/?invite={quote(code)}"


def qr_svg(link: str) -> str:
    """An inline SVG QR code of the link (error correction M: survives a crease on a printed poster)."""
    return segno.make(link, error="m").svg_inline(scale=5, dark="#1f2329", title="邀请二维码")
