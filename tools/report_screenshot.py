"""Regenerate docs/img/report-graph.png, the screenshot of the report's traceability graph in docs/reports.md:
the example SMS's report in headless Chromium, the uncontrolled change's chain chosen, the graph's area only.

    .venv/bin/python tools/report_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from itsms_graph.check import visual_report  # noqa: E402
from itsms_graph.example import generate  # noqa: E402
from itsms_graph.graph import save_snapshot  # noqa: E402
from itsms_graph.queries.plan import AuditPeriod  # noqa: E402
from tests.browser import Browser  # noqa: E402

OUT = ROOT / "docs" / "img" / "report-graph.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        snap = save_snapshot(generate().graph, Path(folder) / "example.itsms")
        page = Path(folder) / "report.html"
        page.write_text(visual_report(snap, period=AuditPeriod.parse("2025-06-30")), encoding="utf-8")
        with Browser(Path(folder) / "profile", width=1100, height=900) as b:
            b.open(page.as_uri(), ready="document.getElementById('traceability').dataset.ready === '1'")
            fid = b.eval("document.querySelector('div.finding[id^=\"uncontrolled-change-caused-incident:\"]').id")
            b.eval(f"tgChoose({fid!r})")
            b.wait_for(f"document.getElementById('traceability').dataset.chosen === {fid!r}")
            b.eval("document.getElementById('graph').scrollIntoView()")
            box = b.eval(
                "(function(){var r=document.querySelector('.graph-controls').getBoundingClientRect(),"
                "g=document.getElementById('traceability').getBoundingClientRect();"
                "return [r.left - 8, r.top - 8 + window.scrollY, g.width + 16, g.bottom - r.top + 16];})()"
            )
            data = b.call(
                "Page.captureScreenshot",
                format="png",
                clip={"x": box[0], "y": box[1], "width": box[2], "height": box[3], "scale": 0.75},
                captureBeyondViewport=True,
            )["data"]
    import base64

    OUT.write_bytes(base64.b64decode(data))
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
