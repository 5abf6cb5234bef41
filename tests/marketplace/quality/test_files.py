"""Uploads are judged by their first bytes and their size, never by their name."""

import pytest

from marketplace.quality.files import MAX_PHOTO_BYTES, UploadRefused, check_upload, sniff

from .conftest import JPEG, PDF, PNG


@pytest.mark.parametrize(
    ("head", "expected"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf"), (b"MZ\x90\x00", None)],
)
def test_sniffing_reads_the_content(head, expected):
    assert sniff(head) == expected


def test_a_pdf_is_no_photo_and_an_executable_is_no_document():
    with pytest.raises(UploadRefused, match="JPG, PNG, WEBP"):
        check_upload(kind="photo", head=PDF, size=100)
    with pytest.raises(UploadRefused, match="content says otherwise"):
        check_upload(kind="certificate_of_conformity", head=b"MZ\x90\x00" * 8, size=100)
    assert check_upload(kind="certificate_of_conformity", head=PDF, size=100).extension == "pdf"


def test_empty_and_oversized_files_are_refused():
    with pytest.raises(UploadRefused, match="empty"):
        check_upload(kind="photo", head=b"", size=0)
    with pytest.raises(UploadRefused, match="10 MB"):
        check_upload(kind="photo", head=PNG, size=MAX_PHOTO_BYTES + 1)
