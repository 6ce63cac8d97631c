"""Postprocessing of the OpenAPI schema (drf-spectacular): answers every operation can give.

Every request passes the site's guard first (``papernotes.middleware``): a control
character or an over-long URL is a 400 with a Japanese ``detail``, whatever the endpoint;
public reads are throttled per client (429, with ``Retry-After``).
"""

from papernotes.search import query as search_query

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
# A 400 says why: one reason (``detail``), or reasons per parameter or field.
BAD_REQUEST = {
    "application/json": {
        "schema": {
            "oneOf": [
                {"$ref": "#/components/schemas/Error"},
                {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "項目ごとの理由(日本語)",
                },
            ]
        }
    }
}
# What the guard lets through in a URL: no control characters.
NO_CONTROL_CHARACTERS = "^[^\\x00-\\x1f\\x7f]*$"


def add_common_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("name") == "q" and parameter.get("in") == "query":
                    _document_search_limits(parameter)
                if schema.get("type") == "string" and not {"format", "pattern", "enum"} & set(schema):
                    schema["pattern"] = NO_CONTROL_CHARACTERS
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", {"description": "リクエストが正しくありません(理由は日本語で)"})
            responses["400"]["content"] = BAD_REQUEST
            if method == "get" and not path.startswith("/api/v1/editorial/"):
                responses.setdefault(
                    "429",
                    {
                        "description": "リクエストが多すぎます(Retry-After 秒後に再試行)",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": ERROR,
                    },
                )
    return result


def _document_search_limits(parameter: dict) -> None:
    """The search's limits, as ``papernotes.search.query`` applies them (after NFKC)."""
    limit = getattr(search_query, "MAX_QUERY_LENGTH", None)
    if limit:
        parameter["schema"]["maxLength"] = limit
    rules = [f"{limit} 文字以内"] if limit else []
    if getattr(search_query, "MAX_TERMS", None):
        rules.append(f"空白区切りで {search_query.MAX_TERMS} 語まで")
    if getattr(search_query, "MIN_TERM_LENGTH", None):
        rules.append(f"各語 {search_query.MIN_TERM_LENGTH} 文字以上")
    if rules:
        parameter["description"] = (
            f"{parameter.get('description', '')}({'、'.join(rules)}。NFKC で正規化した後に数えます。外れると 400)"
        ).strip()
