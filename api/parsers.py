"""The API's JSON parser: DRF's, with bounds on what a body may hold.

A body larger than ``API_MAX_BODY_BYTES`` or nested deeper than :data:`MAX_DEPTH` is a 400
with a Japanese message before it is decoded (Python's decoder raises ``RecursionError``
on deep nesting, which DRF would let through as a 500).
"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant as json_strict_constant

MAX_DEPTH = 32


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ParseError(_("リクエストの本文が大きすぎます({limit} バイトまで)。").format(limit=limit))
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise ParseError(_("リクエストの本文を文字として読めません。")) from error
        # Counting is cheap; the walk runs only when there are enough brackets to be too deep.
        if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
            raise ParseError(_("JSON の入れ子が深すぎます({limit} 段まで)。").format(limit=MAX_DEPTH))
        try:
            return json.loads(text, parse_constant=json_strict_constant if self.strict else None)
        except (ValueError, RecursionError) as error:
            raise ParseError(_("JSON として読めません: {error}").format(error=error)) from error
