"""Open311's two wire formats: bare JSON arrays, and XML (served as text/xml), errors included."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree

from flask import Response

FORMATS = ("json", "xml")


def render(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200) -> Response:
    """`data` (a list of objects under root/item, or one object under root) in JSON or XML."""
    if fmt == "xml":
        element = ElementTree.Element(root)
        if item is None:
            _fill(element, data)
        else:
            for entry in data:
                _fill(ElementTree.SubElement(element, item), entry)
        body = ElementTree.tostring(element, encoding="unicode")
        return Response('<?xml version="1.0" encoding="utf-8"?>' + body, status=status,
                        content_type="text/xml; charset=utf-8")
    return Response(json.dumps(data, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8")


def render_error(fmt: str, status: int, description: str) -> Response:
    """Open311's error shape: [{"code": 403, "description": ...}] or <errors><error>..."""
    return render(fmt, [{"code": status, "description": description}], root="errors", item="error",
                  status=status)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, str(key)), child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for child in value:
            _fill(ElementTree.SubElement(element, _singular(element.tag)), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _singular(tag: str) -> str:
    return tag[:-1] if tag.endswith("s") else f"{tag}_item"
