"""No lock-in, in a real browser: a customer uploads a part, asks for an export of everything,
downloads the archive; it opens, its JSON validates against the published schema, and the part
comes back byte for byte."""

from marketplace.designs.geometry import samples
from tests.browser.helpers import log_in, screenshot
from tests.factories import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.marketplace.exports.archive_reader import open_archive


def test_a_customer_downloads_an_export_that_opens_and_validates(page, tmp_path):
    user = UserFactory(email="erin@example.com")
    organization = OrganizationFactory(name="Erin Engines")
    MembershipFactory(user=user, organization=organization)
    log_in(page, user.email, PASSWORD)

    part = tmp_path / "bracket.stl"
    part.write_bytes(samples.bracket())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", str(part))
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_url("**/designs/*/")

    page.goto(f"/organizations/{organization.pk}/")
    page.click("[data-testid=export-link]")
    page.click("[data-testid=export-start]")
    link = page.wait_for_selector("[data-testid=export-download]", timeout=60_000)
    screenshot(page, "export-ready")
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename.endswith(".zip")
    archive, document = open_archive(_bytes(download))

    assert document["organization"]["name"] == "Erin Engines"
    (design,) = document["designs"]
    assert archive.read(design["revisions"][0]["file"]) == part.read_bytes()


def _bytes(download) -> bytes:
    with open(download.path(), "rb") as handle:
        return handle.read()
