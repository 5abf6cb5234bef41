"""The charts drawn with the vendored ECharts, at desktop and phone width: the plan's Gantt
(tooltip with workshop, machine, times and price; zoom; the compressed scale keeps a short
step visible beside days of transport) and the operator console's charts, with no console
error and no failed request. Screenshots go to test-artifacts/browser/charts-*.png."""

import pytest

from marketplace.orders.models import Order
from tests.browser.helpers import screenshot
from tests.browser.phone_story import DESKTOP, PHONE, open_and_check, seed_demo_for, signed_in

GANTT = "[data-chart=gantt]"


def _tooltip_of_row(page, row: int) -> str:
    """Hovers the Gantt's bar of `row` with the mouse and returns the tooltip's text."""
    x, y = page.evaluate(
        """([selector, row]) => {
            const el = document.querySelector(selector);
            const chart = echarts.getInstanceByDom(el);
            const value = chart.getOption().series[0].data[row];
            const [x, y] = chart.convertToPixel({gridIndex: 0}, [value[1], row]);
            const box = el.getBoundingClientRect();
            return [box.left + x + 3, box.top + y];
        }""",
        [GANTT, row],
    )
    page.mouse.move(x, y)
    tooltip = page.locator(f"{GANTT} div", has_text="UTC").last
    tooltip.wait_for(state="visible")
    return tooltip.inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_plan_gantt_tells_each_step_on_hover_and_zooms(
    chromium, live_site, transactional_db, settings, viewport
):
    seed_demo_for(live_site, settings)
    order = Order.objects.filter(status="in_production").first()
    job = order.jobs.filter(status__in=["accepted", "in_progress"]).order_by("planned_start")[0]
    visit = signed_in(chromium, live_site, "alice@demo.cloudfactory.example", viewport)
    page = visit.page
    open_and_check(visit, f"/orders/{order.pk}/", max_width=viewport["width"])
    page.locator(GANTT).scroll_into_view_if_needed()
    rows = page.evaluate(
        "JSON.parse(document.getElementById('gantt-data').textContent).rows.map(r => r.name)"
    )
    text = _tooltip_of_row(page, rows.index(job.name))
    price = f"{job.cost_minor // 100:,}.{job.cost_minor % 100:02d} EUR"
    for fact in (job.name, str(job.workshop), job.machine.name, f"Price: {price}"):
        assert fact in text, (fact, text)
    screenshot(page, f"charts-gantt-{viewport['width']}")
    # The smallest step is still a bar one can see and point at beside days on the road.
    widths = page.evaluate(
        """(selector) => {
            const chart = echarts.getInstanceByDom(document.querySelector(selector));
            const data = chart.getOption().series[0].data;
            return data.map(([row, start, end]) => {
                const a = chart.convertToPixel({gridIndex: 0}, [start, row]);
                const b = chart.convertToPixel({gridIndex: 0}, [end, row]);
                return b[0] - a[0];
            });
        }""",
        GANTT,
    )
    if viewport is PHONE:
        assert page.get_attribute(GANTT, "data-scale") == "compressed"
        assert min(widths) >= 6, widths
    before = page.get_attribute(GANTT, "data-scale")
    page.click("[data-gantt-scale]")  # the other scale, then zoom in as the slider would
    assert page.get_attribute(GANTT, "data-scale") != before
    page.evaluate(
        """(selector) => echarts.getInstanceByDom(document.querySelector(selector))
            .dispatchAction({type: 'dataZoom', start: 0, end: 10})""",
        GANTT,
    )
    zoom = page.evaluate(
        "(s) => echarts.getInstanceByDom(document.querySelector(s)).getOption().dataZoom[0].end",
        GANTT,
    )
    assert zoom == 10
    assert visit.problems == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_operator_console_charts_draw_without_a_console_error(
    chromium, live_site, transactional_db, settings, viewport
):
    """Before: the revenue chart rendered with empty attributes, 30 console errors a load."""
    seed_demo_for(live_site, settings)
    visit = signed_in(chromium, live_site, "olga@demo.cloudfactory.example", viewport)
    open_and_check(visit, "/dashboard/", max_width=viewport["width"])
    page = visit.page
    for testid in ("orders-chart", "utilisation-chart", "revenue-chart"):
        chart = page.locator(f"[data-testid={testid}]").first
        assert chart.get_attribute("data-chart-ready") == "true", testid
        assert chart.locator("canvas").count() == 1, testid
        box = chart.bounding_box()
        assert box["width"] > 200, (testid, box)
        assert box["height"] > 60, (testid, box)
    screenshot(page, f"charts-console-{viewport['width']}")
    assert visit.problems == []
