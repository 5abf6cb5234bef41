"""A confidential design on a phone (390 x 844): the watermark stays inside the 3D viewer,
clear of its caption, and the owner's access log shows every column within the screen.
Screenshots go to test-artifacts/browser/phone-confidential-*.png for a person to look at."""

from django.core.files.base import ContentFile

from marketplace.designs.confidential import design_confidentiality_set
from marketplace.designs.geometry import samples
from marketplace.designs.models import DesignDownload, NdaAcceptance
from tests.browser.helpers import screenshot
from tests.browser.phone_story import PHONE, open_and_check, signed_in
from tests.factories import PASSWORD
from tests.factories.designs import DesignRevisionFactory
from tests.factories.orders import JobFactory, QuoteLineFactory
from tests.helpers import organization_of, workshop_of

NDA = "The recipient keeps this part, its drawings and its files secret for five years."


def _box(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }",
    )


def test_a_confidential_design_fits_a_phone(
    chromium, live_site, transactional_db, settings, customer_alice, workshop_bob
):
    settings.MEDIA_ROOT = str(live_site.media)
    revision = DesignRevisionFactory(
        design__organization=organization_of(customer_alice), design__name="Secret bracket"
    )
    revision.preview.save("preview.stl", ContentFile(samples.bracket()))
    design = design_confidentiality_set(
        user=customer_alice, design=revision.design, confidential=True, nda_text=NDA
    )
    line = QuoteLineFactory(request__organization=design.organization, revision=revision)
    JobFactory(
        order__option__request=line.request,
        line=line,
        workshop=workshop_of(workshop_bob),
        status="accepted",
    )
    NdaAcceptance.objects.create(
        design=design,
        organization=organization_of(workshop_bob),
        user=workshop_bob,
        nda_hash=design.nda_hash,
        nda_text=design.nda_text,
    )

    bob = signed_in(chromium, live_site, workshop_bob.email, PHONE, password=PASSWORD)
    open_and_check(bob, f"/designs/{design.pk}/", max_width=PHONE["width"])
    page = bob.page
    page.wait_for_selector("[data-testid=viewer-watermark]")
    screenshot(page, "phone-confidential-design")
    canvas = _box(page, "[data-testid=viewer-canvas]")
    mark = _box(page, "[data-testid=viewer-watermark]")
    caption = _box(page, "[data-testid=dimensions]")
    assert mark["top"] >= canvas["top"] - 1, (mark, canvas)
    assert mark["bottom"] <= canvas["bottom"] + 1, (mark, canvas)
    assert mark["bottom"] <= caption["top"] + 1, (mark, caption)
    overflow = page.eval_on_selector(
        "[data-testid=viewer-watermark]", "e => getComputedStyle(e).overflow"
    )
    assert overflow == "hidden"  # the rotated rows are cut at the canvas's edges

    DesignDownload.objects.bulk_create(
        DesignDownload(
            revision=revision,
            user=workshop_bob,
            organization=organization_of(workshop_bob),
            kind=kind,
        )
        for kind in ("view", "preview", "thumbnail", "download")
    )
    alice = signed_in(chromium, live_site, customer_alice.email, PHONE, password=PASSWORD)
    open_and_check(alice, f"/designs/{design.pk}/access-log/", max_width=PHONE["width"])
    page = alice.page
    screenshot(page, "phone-confidential-access-log")
    cells = page.eval_on_selector_all(
        "[data-testid=access-log] tbody tr:first-child td",
        "es => es.map(e => { const r = e.getBoundingClientRect();"
        " return {left: r.left, right: r.right, text: e.innerText}; })",
    )
    assert [c["text"] for c in cells][3:] == [
        workshop_bob.email,
        str(organization_of(workshop_bob)),
    ]
    assert all(c["left"] >= 0 and c["right"] <= PHONE["width"] for c in cells), cells
