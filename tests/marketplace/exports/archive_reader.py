"""Opens an export archive the way its reader would, and checks it against the published
schema (docs/export-schema.json) and its own file list. Shared by the export tests."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

from jsonschema import Draft202012Validator

from tests.helpers import ROOT

SCHEMA = json.loads((Path(ROOT) / "docs" / "export-schema.json").read_text())


def open_archive(content: bytes) -> tuple[zipfile.ZipFile, dict]:
    """The ZIP and its export.json, after checking both: the JSON validates against the
    schema, and every listed file is in the ZIP with its size and SHA-256."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    document = json.loads(archive.read("export.json"))
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    names = set(archive.namelist())
    for listed in document["files"]:
        assert listed["path"] in names, listed["path"]
        data = archive.read(listed["path"])
        assert (len(data), hashlib.sha256(data).hexdigest()) == (
            listed["size_bytes"],
            listed["sha256"],
        )
    for name in names:
        assert not name.startswith("/"), name
        assert ".." not in name.split("/"), name
    return archive, document
