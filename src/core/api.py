"""API base: one error body shape for every 4xx, and the pagination every list uses.

Error body: ``{"error": {"code": str, "message": str, "fields": {field: [messages]}}}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError


def error_body(*, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [msg for value in detail.values() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for value in detail for msg in _flatten(value)]
    return [str(detail)]


def _fields_from(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten nested serializer errors to dotted field paths: {"choices.0.amount": ["..."]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
                if isinstance(value, list):
                    for index, item in enumerate(value):
                        fields.update(_fields_from(item, f"{path}.{index}") if item else {})
                else:
                    fields.update(_fields_from(value, path))
            else:
                fields[path] = _flatten(value)
    return fields


def _validation_response(exc: exceptions.ValidationError) -> Response:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = _fields_from(detail)
        general = fields.pop("non_field_errors", None)
        if general:
            message = " ".join(general)
        elif fields:
            first_field, messages = next(iter(fields.items()))
            message = f"Invalid input: {first_field}: {messages[0]}" if messages else "Invalid input."
        else:
            message = "Invalid input."
        if general:
            fields["non_field_errors"] = general
    else:
        fields = {}
        message = " ".join(_flatten(detail)) or "Invalid input."
    return Response(error_body(code="invalid", message=message, fields=fields), status=status.HTTP_400_BAD_REQUEST)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every expected failure becomes the one error body shape."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(code=exc.code, message=exc.message, fields=exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    message = " ".join(_flatten(exc.detail)) or str(exc.default_detail)
    response.data = error_body(code=str(code), message=message)
    return response


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100
