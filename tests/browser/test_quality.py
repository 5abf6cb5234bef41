"""Quality records in a real browser: a workshop records an inspection with a photo and a
certificate on its job card; the customer downloads them, one file and the whole ZIP, and
accepts the inspection on the order page."""

import io
import zipfile
from decimal import Decimal

from PIL import Image

from marketplace.orders.models import Job, Order
from marketplace.quality.models import QualityDownload, QualityMeasurement, QualityRecord
from tests.browser.helpers import log_in, screenshot
from tests.factories import PASSWORD
from tests.factories.work import order_in_production

CERTIFICATE = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
    + b"% certificate of conformity for the bracket\n" * 4
    + b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def _photo(path) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 190, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _downloaded(waiting) -> bytes:
    with open(waiting.value.path(), "rb") as handle:
        return handle.read()


def test_workshop_records_an_inspection_and_the_customer_downloads_and_accepts(
    page, customer_alice, workshop_bob, tmp_path
):
    story = order_in_production(customer_alice, workshop_bob, status="in_production")
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.IN_PROGRESS)

    log_in(page, workshop_bob.email, PASSWORD)
    page.goto(f"/jobs/{story.job.pk}/")
    form = page.locator("[data-testid=quality-record-form]")
    form.get_by_label("Dimension 1 name").fill("Bore diameter")
    form.get_by_label("Dimension 1 nominal").fill("12")
    form.get_by_label("Dimension 1 measured").fill("12.03")
    form.get_by_label("Dimension 2 name").fill("Overall length")
    form.get_by_label("Dimension 2 nominal").fill("80")
    form.get_by_label("Dimension 2 measured").fill("79.98")
    form.get_by_label("Dimension 2 tolerance").fill("0.03")  # tighter than the class
    form.locator("select[name=outcome]").select_option("pass")
    form.locator("button").click()
    page.wait_for_selector("[data-testid=measurements]")

    photo = tmp_path / "bore.png"
    photo_bytes = _photo(photo)
    certificate = tmp_path / "certificate-of-conformity.pdf"
    certificate.write_bytes(CERTIFICATE)
    for kind, path in (("photo", photo), ("certificate_of_conformity", certificate)):
        upload = page.locator("[data-testid=quality-file-form]")
        upload.locator("select[name=kind]").select_option(kind)
        upload.locator("input[type=file]").set_input_files(str(path))
        upload.locator("button").click()
        page.wait_for_selector(f"[data-testid=job-quality-files] >> text={path.name}")
    screenshot(page, "quality-job-card")
    record = QualityRecord.objects.get(job=story.job)
    assert record.outcome == "pass"
    assert record.measurements.filter(within_tolerance=True).count() == 2

    # The step is finished and the parts reach Alice.
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.DONE)
    Order.objects.filter(pk=story.order.pk).update(status="delivered")
    page.context.clear_cookies()

    log_in(page, customer_alice.email, PASSWORD)
    page.goto(f"/orders/{story.order.pk}/#quality")
    quality = page.locator("[data-testid=order-quality]")
    quality.scroll_into_view_if_needed()
    screenshot(page, "quality-order-page")
    with page.expect_download() as waiting:
        quality.get_by_role("link", name="bore.png").click()
    assert _downloaded(waiting) == photo_bytes
    with page.expect_download() as waiting:
        page.click("[data-testid=quality-archive]")
    archive = zipfile.ZipFile(io.BytesIO(_downloaded(waiting)))
    names = archive.namelist()
    assert any(n.endswith("certificate-of-conformity.pdf") for n in names)
    assert "Bore diameter" in archive.read("measurements.csv").decode()

    review = page.locator(f"[data-testid=review-{record.pk}]")
    review.get_by_role("button", name="Accept inspection").click()
    page.wait_for_selector(f"[data-testid=quality-record-{record.pk}] >> text=Accepted")
    screenshot(page, "quality-accepted")
    record.refresh_from_db()
    story.job.refresh_from_db()
    assert (record.review, story.job.inspection) == ("accepted", "accepted")
    assert QualityDownload.objects.filter(user=customer_alice).count() == 2

    # The precision line needs an inspection report, which nobody uploaded: no completion yet,
    # and the page says why beside a button it does not let anyone press.
    assert page.get_by_role("button", name="Accept the parts and complete the order").is_disabled()
    held = page.locator("[data-testid=completion-blocked]")
    assert "cannot be completed before its inspection report is uploaded" in held.inner_text()
    screenshot(page, "quality-completion-held")
    story.order.refresh_from_db()
    assert story.order.status == "delivered"


def test_measurement_tables_scroll_inside_their_box_on_a_phone(page, customer_alice, workshop_bob):
    story = order_in_production(customer_alice, workshop_bob, status="in_production")
    Job.objects.filter(pk=story.job.pk).update(status=Job.Status.IN_PROGRESS)
    record = QualityRecord.objects.create(
        job=story.job, order=story.order, outcome="reject", note="Scrap", recorded_by=workshop_bob
    )
    QualityMeasurement.objects.create(
        record=record,
        name="Distance_between_the_mounting_bores_of_the_left_flange",
        nominal_mm=Decimal("123456.1234"),
        measured_mm=Decimal("123456.9876"),
        tolerance_mm=Decimal("0.05"),
        within_tolerance=False,
    )
    # 390: a phone (tables turn into their own scrolling block below 600 px); 700: a small
    # tablet, where only the wrapper keeps the page from growing wider than the screen.
    for width, user, url, name in (
        (390, workshop_bob, f"/jobs/{story.job.pk}/#quality", "quality-phone-job-card"),
        (390, customer_alice, f"/orders/{story.order.pk}/#quality", "quality-phone-order-page"),
        (700, customer_alice, f"/orders/{story.order.pk}/#quality", "quality-tablet-order-page"),
    ):
        page.set_viewport_size({"width": width, "height": 844})
        page.context.clear_cookies()
        log_in(page, user.email, PASSWORD)
        page.goto(url)
        table = page.locator("#quality table", has_text="Distance_between").first
        table.scroll_into_view_if_needed()
        box = table.locator("xpath=..")
        assert box.get_attribute("class") == "table-scroll"
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        # Whichever of the two scrolls, the last column can be reached.
        scrolled = box.evaluate(
            """e => [e, e.firstElementChild].some(s => {
                 if (s.scrollWidth <= s.clientWidth) return false;
                 s.scrollLeft = s.scrollWidth;
                 return s.scrollLeft > 0;
               })"""
        )
        assert scrolled
        screenshot(page, name)
