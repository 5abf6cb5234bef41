"""A customer uploads designs in the browser, sees the analysis and turns the 3D preview."""

import pytest

from marketplace.designs.geometry import samples
from tests.browser.helpers import screenshot
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"


def _customer(page):
    user = UserFactory(email="dora@example.com")
    MembershipFactory(user=user, organization=OrganizationFactory(name="Dora Drones"))
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "dora@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


def _canvas_is_drawn(page) -> bool:
    """The WebGL canvas holds more than the background colour once the mesh is drawn."""
    return page.evaluate(
        """() => {
          const canvas = document.querySelector('[data-testid=viewer-canvas]');
          const copy = document.createElement('canvas');
          copy.width = canvas.width; copy.height = canvas.height;
          const ctx = copy.getContext('2d');
          ctx.drawImage(canvas, 0, 0);
          const data = ctx.getImageData(0, 0, copy.width, copy.height).data;
          let other = 0;
          for (let i = 0; i < data.length; i += 16) {
            const distance = Math.abs(data[i] - 244) + Math.abs(data[i + 1] - 248)
              + Math.abs(data[i + 2] - 251);
            if (distance > 30) other++;
          }
          return other > 200;
        }"""
    )


def test_a_customer_uploads_a_part_and_sees_its_analysis_and_preview(page, live_site, tmp_path):
    _customer(page)
    part = tmp_path / "bracket.stl"
    part.write_bytes(samples.bracket())
    page.goto("/designs/")
    assert page.is_visible("text=You have not uploaded any designs yet")
    page.set_input_files("input[name=files]", str(part))
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_url("**/designs/*/")
    page.wait_for_selector("[data-testid=analysis]")
    assert "53.00 × 30.00 × 43.58 mm" in page.inner_text("[data-testid=dimensions]")
    page.wait_for_selector("#viewer[data-loaded=true]")
    page.wait_for_function("() => true", timeout=1000)
    assert _canvas_is_drawn(page)
    screenshot(page, "design-detail")


def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_stored(
    page, live_site, tmp_path
):
    _customer(page)
    garbage = tmp_path / "broken.stl"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 200)
    good = tmp_path / "gear.stl"
    good.write_bytes(samples.gear())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", [str(garbage), str(good)])
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_selector(".upload-results .message-error")
    assert "broken.stl" in page.inner_text(".upload-results")
    assert page.is_visible(".upload-results a:has-text('gear.stl')")
    screenshot(page, "design-upload-errors")
    page.goto("/designs/")
    assert page.locator(".design-card").count() == 1


@pytest.mark.services
def test_the_analysis_arrives_live_from_a_separate_worker(
    chromium, live_site_with_worker, transactional_db, tmp_path
):
    """Upload returns at once; a Celery worker analyses; the page updates over Redis."""
    context = chromium.new_context(base_url=live_site_with_worker.url)
    page = context.new_page()
    page.set_default_timeout(30_000)
    _customer(page)
    part = tmp_path / "enclosure.stl"
    part.write_bytes(samples.enclosure())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", str(part))
    page.click("form[data-uploader] button[type=submit]")
    page.wait_for_url("**/designs/*/")
    assert page.get_attribute("#analysis-status", "data-status") in ("queued", "analysing")
    page.wait_for_selector("[data-testid=analysis]")
    assert "80.00 × 60.00 × 35.00 mm" in page.inner_text("[data-testid=dimensions]")
    page.wait_for_selector("#viewer[data-loaded=true]")
    screenshot(page, "design-analysed-by-worker")
    context.close()


def test_files_uploaded_together_show_their_finished_analysis_in_the_list(
    page, live_site, tmp_path
):
    """The result lines and the cards follow each analysis to its end, without a reload."""
    _customer(page)
    names = ["gear.stl", "bracket.stl"]
    (tmp_path / names[0]).write_bytes(samples.gear())
    (tmp_path / names[1]).write_bytes(samples.bracket())
    page.goto("/designs/")
    page.set_input_files("input[name=files]", [str(tmp_path / n) for n in names])
    page.click("form[data-uploader] button[type=submit]")
    for name in names:
        page.wait_for_selector(f".upload-results li:has-text('{name} uploaded and analysed.')")
    page.wait_for_function("document.querySelectorAll('.design-card').length === 2")
    assert "under way" not in page.inner_text(".upload-results")
    badges = page.locator(".design-card [data-status]").all_inner_texts()
    assert badges == ["Analysed", "Analysed"]
    screenshot(page, "design-list-analysed")
