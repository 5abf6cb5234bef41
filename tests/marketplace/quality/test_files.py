"""Uploads are judged by their first bytes and their size, never by their name."""

import pytest

from marketplace.quality.files import (
    HEAD_BYTES,
    MAX_PHOTO_BYTES,
    UploadRefused,
    check_document,
    check_upload,
    served_name,
    sniff,
)

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


@pytest.mark.parametrize(
    "head",
    [
        b"<html><body>Hello, world</body></html>",
        b"  <script>alert(1)</script>,\n<p>a, b</p>\n",
        b"Dear customer, the parts are fine.\nThanks and regards\n",  # prose with a comma
        b"a,b,c\nno separators here\n",
        b"a,b\x00,c\n1,2,3\n",
    ],
)
def test_only_a_plausible_table_counts_as_csv(head):
    assert sniff(head) is None


@pytest.mark.parametrize(
    "head", [b"dimension,nominal,measured\nbore,10,10.01\n", b"a;b\r\n1;2\r\n", b"x\ty\n1\t2"]
)
def test_a_table_with_a_repeated_separator_count_is_csv(head):
    assert sniff(head) == "text/csv"


def test_a_table_cut_by_the_head_ignores_its_last_partial_line():
    head = (b"a,b,c\n" + b"1,2,3\n" * 2000)[:HEAD_BYTES]
    assert sniff(head) == "text/csv"


@pytest.mark.parametrize(
    ("original", "content_type", "served"),
    [
        ("x.html", "text/csv", "x.csv"),
        ("report.final.PDF", "application/pdf", "report.final.pdf"),
        ("photo", "image/jpeg", "photo.jpg"),
        ("../../etc/passwd.png", "image/png", "passwd.png"),
        (".html", "text/csv", "html.csv"),
        ("", "application/zip", "file.zip"),
    ],
)
def test_the_served_name_takes_the_real_contents_extension(original, content_type, served):
    assert served_name(original, content_type) == served


def test_a_document_must_be_a_whole_pdf_or_a_readable_picture():
    with pytest.raises(UploadRefused, match="incomplete"):
        check_document(content_type="application/pdf", content=b"%PDF-")
    with pytest.raises(UploadRefused, match="incomplete"):
        check_document(content_type="application/pdf", content=b"%PDF-1.4\n" + b"0" * 300)
    check_document(content_type="application/pdf", content=PDF)
    with pytest.raises(UploadRefused, match="cannot be read"):
        check_document(content_type="image/png", content=PNG)
    check_document(content_type="image/png", content=real_png())


def real_png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()
