"""The one response that sends an evidence file, for the admin's download view and the API's.

Who may download is the callers' business (``roles.can_download_evidence_file``); this only sends
the file, and the same way to both: as an attachment, with the type detected at upload and
``nosniff`` (a browser never guesses another), a sandbox Content-Security-Policy (were it opened
anyway, an HTML or SVG file runs no script and reaches nothing) and ``Cache-Control: private,
no-store`` (no shared or browser cache keeps a copy after the person signs out or the file is
withdrawn).
"""

from __future__ import annotations

from django.http import FileResponse, Http404

from .models import Evidence

EVIDENCE_FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


def evidence_file_response(evidence: Evidence) -> FileResponse:
    """The evidence's file as an attachment; 404 if it has none or the file is gone from storage."""
    if not evidence.file:
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_filename or f"evidence-{evidence.pk}",
        content_type=evidence.content_type or "application/octet-stream",
    )
    for header, value in EVIDENCE_FILE_HEADERS.items():
        response[header] = value
    return response
