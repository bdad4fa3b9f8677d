"""Request middleware of the project."""

from django.http import QueryDict

from core.text import nfc


def _normalized(query: QueryDict) -> QueryDict:
    normalized = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        normalized.setlist(nfc(key), [nfc(value) for value in values])
    normalized._mutable = False
    return normalized


class NormalizeUnicodeMiddleware:
    """Normalize submitted text to NFC, so "Hòa" typed on any keyboard is one string.

    Vietnamese input methods and copy-paste from PDFs often produce decomposed (NFD)
    diacritics, which look identical but compare, sort and search differently.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _normalized(request.GET)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _normalized(request.POST)
        return self.get_response(request)
