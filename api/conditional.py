"""Conditional GET and caching of public API reads, on the reader pages' version stamp."""

from django.conf import settings
from django.core.cache import cache
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from rest_framework.response import Response

from papernotes.caching import local_pages, public_version


class PublicConditionalGetMixin:
    """Answer ``If-None-Match``/``If-Modified-Since`` with 304 from the version stamp and
    serve the serialized data from the cache; both after authentication and throttling."""

    key_params: tuple[str, ...] = ("page", "page_size")

    def get(self, request, *args, **kwargs):
        version = public_version()
        request.public_version = version
        params = tuple(f"{name}={request.query_params.get(name, '')}" for name in self.key_params)
        etag = version.etag_for("api", request.path, *params)
        last_modified = int(version.last_modified.timestamp()) if version.last_modified else None
        if get_conditional_response(request._request, etag=etag, last_modified=last_modified) is not None:
            response = Response(status=304)
        else:
            key = f"api:{etag}"
            data = local_pages.get(key)
            if data is None:
                data = cache.get(key)
                if data is not None:
                    local_pages.set(key, data)
            if data is None:
                response = super().get(request, *args, **kwargs)
                if response.status_code != 200:
                    return response
                cache.set(key, response.data, settings.READER_CACHE_TIMEOUT)
                local_pages.set(key, response.data)
            else:
                response = Response(data)
        response["ETag"] = etag
        if version.last_modified:
            response["Last-Modified"] = http_date(version.last_modified.timestamp())
        patch_cache_control(response, public=True, max_age=0, s_maxage=settings.READER_SHARED_MAX_AGE)
        return response
