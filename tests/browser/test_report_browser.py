"""The evaluation report in Chromium, opened from disk as an official would open it: the Chinese headings show, the
markup in an answer stays text (no script runs), nothing is fetched from the network, and a full-page screenshot is
kept in tests/browser/artifacts/ for a human to look at."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Request, Route, expect

from eval.report import write_report
from tests.browser.conftest import ARTIFACTS
from tests.eval.run_fixture import HOSTILE_ANSWER, write_run

pytestmark = pytest.mark.browser

HEADINGS = ("闵服评测报告", "运行信息", "总览", "分组图表", "分类明细", "问题条目")


def test_report_opens_offline_with_its_headings_and_no_script(chromium: Browser, tmp_path: Path) -> None:
    report = write_report(write_run(tmp_path / "run", truncate_last=True))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    left_the_page: list[str] = []
    console_errors: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(("http://", "https://")):
            left_the_page.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def seen(request: Request) -> None:
        if request.url.startswith(("http://", "https://")):
            left_the_page.append(request.url)

    def logged(message: ConsoleMessage) -> None:  # a blocked load would be reported here by the page's CSP
        if message.type == "error":
            console_errors.append(message.text)

    context.route("**/*", guard)
    page = context.new_page()
    page.on("request", seen)
    page.on("console", logged)
    page.goto(report.as_uri())

    for heading in HEADINGS:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.locator("#overview td.best").first).to_be_visible()
    assert page.locator("svg.chart").count() >= 4

    hostile = page.locator("details.item", has_text="夜市补贴<b>多少</b>钱？").first
    hostile.locator("> summary").click()
    expect(hostile.locator(".text", has_text=HOSTILE_ANSWER).first).to_be_visible()
    hostile.locator("details.sub summary").first.click()
    assert page.evaluate("() => window.minfuXss") is None

    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky navigation bar at the top of the picture
    folder = ARTIFACTS / "test_report_browser"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "report-full.png"), full_page=True)
    context.close()
    assert left_the_page == []
    assert console_errors == []
