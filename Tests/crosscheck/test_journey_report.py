"""The journey map renders in a real browser: headless Chromium (Debian's
`chromium`) draws `churnkit journey --out` to PNG without console messages,
every chart has a drawn box with shapes in it, and a channel and an event
named `<script>alert(1)</script>` show up as text, never as markup."""
import html
import json
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

from test_features import CHURNKIT, ROOT

MARKUP = "<script>alert(1)</script>"
CHARTS = ["flow", "funnel", "heatmap", "segments", "retention", "dwell", "channels", "sentiment"]
STAGES = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy"]


def small_log(path):
    """80 customers walking the stages with gaps, some churning; channels
    include the markup string."""
    rng = random.Random(7)
    rows = ["customer_id,timestamp,event,stage,channel,sentiment"]
    for c in range(80):
        day = rng.randrange(0, 20)
        for stage in STAGES[: rng.randrange(1, len(STAGES) + 1)]:
            for _ in range(rng.randrange(1, 4)):
                channel = rng.choice(["web", "app", "email", MARKUP])
                sentiment = "" if rng.random() < 0.3 else f"{rng.uniform(-1, 1):.2f}"
                event = MARKUP if channel == MARKUP else "visit"
                quoted = lambda s: '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"<') else s
                rows.append(f"C{c},2024-{1 + day // 28:02d}-{1 + day % 28:02d},{quoted(event)},{stage},{quoted(channel)},{sentiment}")
                day += rng.randrange(1, 6)
        if rng.random() < 0.3:
            rows.append(f"C{c},2024-{1 + day // 28:02d}-{1 + day % 28:02d},cancel,{stage},email,-0.8")
    open(path, "w").write("\n".join(rows) + "\n")


def segments_table(path):
    """A plan per customer, one of them named with the markup string."""
    plans = ["basic", "pro", '"' + MARKUP + '"']
    rows = ["customer_id,plan"] + [f"C{c},{plans[c % 3]}" for c in range(80)]
    open(path, "w").write("\n".join(rows) + "\n")


def chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian's chromium is required (scripts/bootstrap --python installs it)"
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--user-data-dir=" + tempfile.mkdtemp()]


def png_pixels(path):
    """Width, height and the decompressed scanlines of an 8-bit PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def probe(text, work):
    """The page with a probe script added (the page has none), in Chromium:
    each chart's drawn box and shapes, the scripts, the text and the title."""
    script = """<script>
      const r = {charts: {}};
      for (const svg of document.querySelectorAll('svg')) {
        const b = svg.getBBox();
        r.charts[svg.id] = {width: b.width, height: b.height,
          shapes: svg.querySelectorAll('rect,circle,path,line,polyline').length};
      }
      r.scripts = document.scripts.length;
      r.text = document.body.innerText;
      r.markupAsText = document.body.innerText.includes('<script>alert(1)<\\/script>');
      r.title = document.title;
      const pre = document.createElement('pre'); pre.id = 'probe';
      pre.textContent = JSON.stringify(r); document.body.appendChild(pre);
    </script></body>"""
    probed = os.path.join(work, "probed.html")
    # The segments' views are folded (details): open them to measure.
    open(probed, "w", encoding="utf-8").write(
        text.replace('<details class="segment"', '<details open class="segment"').replace("</body>", script))
    dom = subprocess.run(chromium() + ["--dump-dom", "file://" + probed], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    r = json.loads(html.unescape(found.group(1)))
    return r


def test_journey_map_renders_in_chromium_with_every_chart_and_escaped_names():
    work = tempfile.mkdtemp()
    events, page = os.path.join(work, "events.csv"), os.path.join(work, "journey.html")
    small_log(events)
    customers = os.path.join(work, "customers.csv")
    segments_table(customers)
    subprocess.run([CHURNKIT, "journey", "--events", events, "--churn-definition", "event:cancel", "--out", page,
                    "--customers", customers, "--segment", "plan",
                    "--title", "Test shop " + MARKUP], check=True, capture_output=True, cwd=ROOT)
    text = open(page, encoding="utf-8").read()
    assert "<script" not in text.lower()
    assert html.escape(MARKUP, quote=False) in text

    # 1. The page itself to PNG, with console output on stderr: no messages.
    png = os.path.join(work, "journey.png")
    run = subprocess.run(chromium() + ["--enable-logging=stderr", "--v=0", "--window-size=1100,2400",
                                       "--screenshot=" + png, "file://" + page],
                         capture_output=True, text=True, timeout=120)
    assert os.path.exists(png), run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    width, height, pixels = png_pixels(png)
    assert (width, height) == (1100, 2400)
    # Not blank: the charts put dark and coloured pixels on the white page.
    assert sum(1 for b in pixels[::7] if b < 128) > 1000

    # 2. A copy with a probe script (the report has none): each chart's drawn
    # box and shapes, and what the reader sees as text.
    r = probe(text, work)
    assert sorted(c for c in r["charts"] if not c.startswith("segment-")) == sorted(CHARTS)
    for chart in CHARTS:
        box = r["charts"][chart]
        assert box["width"] > 100 and box["height"] > 50 and box["shapes"] >= 6, (chart, box)
    # One folded view per segment (three plans), each with its funnel and
    # emotion curve drawn.
    views = sorted(c for c in r["charts"] if c.startswith("segment-"))
    assert views == [f"segment-{k}-{c}" for k in (1, 2, 3) for c in ("funnel", "sentiment")], views
    for chart in views:
        assert r["charts"][chart]["width"] > 100 and r["charts"][chart]["shapes"] >= 4, (chart, r["charts"][chart])
    assert r["scripts"] == 1  # only the probe
    assert r["markupAsText"]
    assert r["title"] == "Test shop " + MARKUP
