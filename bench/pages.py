"""Page speed and server memory, the app beside a minimal Streamlit page, measured in one run.

Both are started the same way (``streamlit run``, headless, on ports 8671-8689) and opened in
Debian's headless Chromium through Playwright, interleaved: app, minimal page, app, minimal page...
(A B A B), so a change in the machine's load falls on both alike. The minimal page draws its map at
the app's own map size and framing, measured in the same run (``AAM_BENCH_MAP``: the same 361
councils over the same area of screen). Every figure is the median of the runs with its spread
(lowest-highest), printed beside the minimal page's (or, where there is no minimal equivalent,
beside the issue's target), with the ratio of the medians, and the machine's load average at
each run is reported with them:

* start to first map, cold (server process spawned -> map drawn) and warm (new browser session on a
  running server -> map drawn), and the first script run (first "running" -> page settled);
* a quarter change (arrow key on the quarter slider): time to the map's new colours, time to the
  page complete, and bytes received over the websocket (with the map's JSON share);
* opening a council and a ward by link on a running server (to the page settled and map drawn);
* server memory (RSS of the server process) on a fresh server, nothing opened before it: after
  the first session, after 5 and 10, and after they close, and a quarter change in all 10 at once
  (per extra session = (10 sessions - 1 session) / 9);
* the cost of ``import mapclassify`` in a fresh interpreter, and whether the app server loaded scipy.

"Map drawn" is when a screenshot of the map's canvas (polled, the same way on both pages) first
shows the drawn map: what a person would see. (Timing WebGL's draw calls instead was tried and
dropped: on the minimal page they come 2 s before the map can be seen, while the software
renderer is still at work.)

Run: ``.venv/bin/python bench/pages.py [--repeat N] [--sessions 1,5,10] [--save] [--markdown]``. Each wait is
capped (``--timeout``), so a broken page fails the run instead of hanging it.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
APP = ROOT / "app.py"
MINIMAL = ROOT / "bench" / "minimal_app.py"
PORTS = range(8671, 8690)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}
BIRMINGHAM = "E08000025"
# Streamlit dims elements it is about to replace; that would read as a map "redraw" in a screenshot.
NO_STALE_CSS = "[data-stale='true']{opacity:1 !important;transition:none !important}"
# Log every change of the app's script state (running / notRunning) with the page's own clock.
STATE_LOGGER = """
window.__states = [];
new MutationObserver(() => {
  const app = document.querySelector('[data-test-script-state]');
  if (!app) return;
  const s = app.getAttribute('data-test-script-state');
  const last = window.__states[window.__states.length - 1];
  if (!last || last[1] !== s) window.__states.push([performance.now(), s]);
}).observe(document, {subtree: true, childList: true, attributes: true,
                      attributeFilter: ['data-test-script-state']});
"""

# --- servers ------------------------------------------------------------------------------------

def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class Server:
    base: str
    pid: int
    spawned: float  # time.perf_counter() just before the process was started
    healthy: float


@contextmanager
def serve(script: Path, timeout_s: float, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``streamlit run script`` headless on the first free port of ours; stopped (its own process
    group only) on exit."""
    port = next((p for p in PORTS if _port_free(p)), None)
    if port is None:
        raise SystemExit(f"no free port in {PORTS.start}-{PORTS.stop - 1}")
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="aam-bench-", suffix=".log", delete=False)  # noqa: SIM115 (closed below)
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    spawned = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(base):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{script.name} did not start on {port}:\n"
                                   + Path(log.name).read_text(errors="replace")[-2000:])
            time.sleep(0.1)
        yield Server(base, proc.pid, spawned, time.perf_counter())
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()
        os.unlink(log.name)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def written(port: int) -> dict[str, int]:
    """Bytes the server has sent on each open connection (``ss``' bytes_sent, by peer address):
    what a change put on the wire after any websocket compression, which the browser's decoded
    frames cannot show."""
    out = subprocess.run(["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True, check=False).stdout
    sent: dict[str, int] = {}
    peer = ""
    for part in out.split():
        if re.fullmatch(r"(\d+\.){3}\d+:\d+|\[[0-9a-fA-F:.]+\]:\d+", part) and not part.endswith(f":{port}"):
            peer = part  # the connection's peer address:port (a header line), then its counters
        elif part.startswith("bytes_sent:"):
            sent[peer] = sent.get(peer, 0) + int(part.split(":", 1)[1])
    return sent


def wrote_since(before: dict[str, int], after: dict[str, int]) -> int:
    """Bytes sent between two ``written`` readings, per connection: a connection that closed in
    between (a health check, another session) is not a negative number, a new one counts whole."""
    return sum(n - before.get(peer, 0) for peer, n in after.items())


def loaded(pid: int, name: str) -> bool:
    """Whether a shared library whose path holds ``name`` is mapped into the process."""
    return f"/{name}/" in Path(f"/proc/{pid}/maps").read_text()


# --- a browser session --------------------------------------------------------------------------

@dataclass
class Wire:
    """Websocket frames received by one page: (perf_counter time, bytes, what)."""

    frames: list[tuple[float, int, str]] = field(default_factory=list)

    def on_frame(self, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else str(payload).encode()
        self.frames.append((time.perf_counter(), len(data), _what(data)))

    def since(self, t0: float) -> tuple[int, int]:
        """(all bytes, bytes of deck.gl map JSON) received after t0."""
        after = [f for f in self.frames if f[0] >= t0]
        return sum(f[1] for f in after), sum(f[1] for f in after if f[2] == "deck")


def _what(data: bytes) -> str:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(data)
    except Exception:  # noqa: BLE001 - not a ForwardMsg: count it, name it unknown
        return "unknown"
    kind = msg.WhichOneof("type") or "unknown"
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "deck_gl_json_chart":
            return "deck"
        if element.WhichOneof("type") == "component_instance" and '"spec"' in element.component_instance.json_args:
            return "deck"  # the app's own map component (ui/deck_component.py) carries the same deck JSON
        return "element"
    return kind


@dataclass
class Session:
    page: Any
    context: Any
    wire: Wire


def open_session(browser, viewport: dict[str, int] = VIEWPORT) -> Session:
    context = browser.new_context(viewport=viewport)
    context.add_init_script(STATE_LOGGER)
    page = context.new_page()
    wire = Wire()
    page.on("websocket", lambda ws: ws.on("framereceived", wire.on_frame))
    return Session(page, context, wire)


def settled(page, timeout_s: float, since_ms: float = 0.0, quiet_ms: float = 500) -> tuple[float, float]:
    """Wait until the script has run (after page time ``since_ms``) and stayed 'notRunning' for
    ``quiet_ms``; return (page time of the first 'running', page time it last became 'notRunning')."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = page.evaluate("[window.__states, performance.now()]")
        log, now = states[0] or [], states[1]
        runs = [t for t, s in log if s == "running" and t >= since_ms]
        if runs and log[-1][1] == "notRunning" and now - log[-1][0] >= quiet_ms:
            return runs[0], log[-1][0]
        page.wait_for_timeout(100)
    raise TimeoutError(f"page did not settle in {timeout_s:.0f} s: {page.url}")


def _colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((160, 160))
    return len(image.getcolors(maxcolors=160 * 160) or [])


def map_canvas(page) -> Any:
    """The map's canvas: Streamlit's pydeck chart (the minimal page) or, inside its frame, the app's
    own map component."""
    if page.locator("[data-testid='stDeckGlJsonChart']").count():
        return page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    return page.frame_locator("[data-testid='stCustomComponentV1']").first.locator("canvas").first


def map_drawn(page, timeout_s: float, before: bytes | None = None, min_colours: int = 4) -> tuple[float, bytes]:
    """Poll the deck.gl canvas until it shows a drawn map (at least ``min_colours`` colours) that
    differs from ``before``; return (perf_counter time, the screenshot)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            shot = map_canvas(page).screenshot(timeout=5_000, animations="disabled")
        except Exception:  # noqa: BLE001 - canvas not there yet, or being replaced
            page.wait_for_timeout(100)
            continue
        if _colours(shot) >= min_colours and shot != before:
            return time.perf_counter(), shot
        page.wait_for_timeout(50)
    shot = Path(tempfile.gettempdir()) / "aam-bench-failed.png"
    page.screenshot(path=str(shot))
    raise TimeoutError(f"map not drawn in {timeout_s:.0f} s: {page.url} (screenshot {shot})")


def load(session: Session, url: str, timeout_s: float) -> dict[str, float]:
    """Open url; seconds to the map drawn and to the page settled, and the first run's length."""
    page = session.page
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    drawn, _ = map_drawn(page, timeout_s)
    first, last = settled(page, timeout_s)
    done = time.perf_counter() - (page.evaluate("performance.now()") - last) / 1000
    return {"map": drawn - t0, "complete": max(done, t0) - t0, "script": (last - first) / 1000,
            "bytes": session.wire.since(t0)[0]}


def quarter_change(session: Session, timeout_s: float, key: str = "ArrowLeft", port: int | None = None
                   ) -> dict[str, float]:
    """Step the quarter with the keyboard; seconds to the map's new colours and to the page complete,
    and bytes received (all, and the map's JSON)."""
    page = session.page
    page.add_style_tag(content=NO_STALE_CSS)
    before = map_canvas(page).screenshot(animations="disabled")
    slider = page.get_by_role("slider").first
    slider.focus()
    since = page.evaluate("performance.now()")
    wrote = written(port) if port else {}
    t0 = time.perf_counter()
    page.keyboard.press(key)
    drawn, _ = map_drawn(page, timeout_s, before=before)
    _, last = settled(page, timeout_s, since_ms=since)
    total, deck = session.wire.since(t0)
    return {"map": drawn - t0, "complete": (last - since) / 1000, "bytes": total,
            "deck_bytes": deck, "wire_bytes": wrote_since(wrote, written(port)) if port else float("nan")}


def open_from_search(session: Session, timeout_s: float, name: str = "Birmingham") -> dict[str, float]:
    """On the overview, type a council's name in "Open a council" and press Enter (the issue's
    "opening a council from search"); seconds to the council page complete and its map drawn."""
    page = session.page
    page.add_style_tag(content=NO_STALE_CSS)
    before = map_canvas(page).screenshot(animations="disabled")
    box = page.locator(".st-key-find_council input").first
    box.click()
    box.fill(name)
    page.get_by_role("option").filter(has_text=name).first.wait_for(timeout=timeout_s * 1000)
    since = page.evaluate("performance.now()")
    t0 = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_url("**/council?**", timeout=timeout_s * 1000)
    drawn, _ = map_drawn(page, timeout_s, before=before)
    _, last = settled(page, timeout_s, since_ms=since)
    done = time.perf_counter() - (page.evaluate("performance.now()") - last) / 1000
    return {"map": drawn - t0, "complete": max(done, t0) - t0}


# --- the runs -----------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def map_box(page) -> tuple[float, float]:
    """The map's size on the page (CSS px): the app's component frame or the minimal page's chart."""
    box = page.locator("[data-testid='stDeckGlJsonChart'], [data-testid='stCustomComponentV1']").first.bounding_box()
    return (box["width"], box["height"]) if box else (float("nan"), float("nan"))


def size_matched(width: float, height: float) -> dict[str, str]:
    """The minimal page's environment for a map of the app's size, framing all UK councils as the
    app's overview does (``ui.layers.fit_view``, the app's padding)."""
    import geopandas as gpd

    from ui.layers import fit_view

    bounds = gpd.read_file(SHARED / "ons" / "Local_Authority_Districts_May_2023_UK_BUC.geojson").total_bounds
    view = fit_view(bounds, width_px=int(width), height_px=int(height), padding=0.03)
    return {"AAM_BENCH_MAP": f"{int(width)},{int(height)},{view['latitude']},{view['longitude']},{view['zoom']}"}


def schedule(repeat: int) -> list[str]:
    """The order of the cold starts: app, minimal page, app, minimal page... (A B A B), so a change in
    the machine's load falls on both alike (all of one then all of the other flattered the app). The
    app goes first in each pair: the minimal page takes its map size from the app's first run."""
    return [name for _ in range(repeat) for name in ("app", "minimal")]


def one_run(script: Path, browser, timeout_s: float, links: dict[str, str], log: Callable[[str], None],
            env: dict[str, str] | None = None) -> dict[str, float]:
    """Every timing for one page (the app or the minimal page) from one cold start."""
    out: dict[str, float] = {"load_start": os.getloadavg()[0]}
    with serve(script, timeout_s, env) as server:
        s = open_session(browser)
        first = load(s, server.base + "/", timeout_s)
        out["cold_map"] = first["map"] + (server.healthy - server.spawned)  # spawn -> healthy -> map
        out["cold_script"] = first["script"]
        out["map_w"], out["map_h"] = map_box(s.page)
        changes = [quarter_change(s, timeout_s, port=int(server.base.rsplit(":", 1)[1])) for _ in range(2)]
        for k in changes[0]:
            out[f"q_{k}"] = statistics.median(c[k] for c in changes)
        if links:  # the app only: the minimal page has no council search
            try:
                found = open_from_search(s, timeout_s)
            except Exception as exc:  # noqa: BLE001 - one broken step must not lose the other figures
                log(f"  council from search: {exc}")
                found = {"map": float("nan"), "complete": float("nan")}
            out["search_map"], out["search_complete"] = found["map"], found["complete"]
        s.context.close()
        w = open_session(browser)
        warm = load(w, server.base + "/", timeout_s)
        out.update({"warm_map": warm["map"], "warm_complete": warm["complete"], "warm_script": warm["script"],
                    "first_bytes": warm["bytes"]})
        w.context.close()
        for name, path in links.items():
            ls = open_session(browser)
            try:
                got = load(ls, server.base + path, timeout_s)
            except TimeoutError as exc:  # one broken page must not lose the other figures
                log(f"  {name}: {exc}")
                got = {"map": float("nan"), "complete": float("nan"), "bytes": float("nan")}
            out.update({f"{name}_map": got["map"], f"{name}_complete": got["complete"], f"{name}_bytes": got["bytes"]})
            ls.context.close()
        out["scipy_loaded"] = float(loaded(server.pid, "scipy"))
    out["load_end"] = os.getloadavg()[0]
    return out


def memory(script: Path, browser, sessions: list[int], timeout_s: float, log: Callable[[str], None],
           env: dict[str, str] | None = None) -> dict[str, float]:
    """On a fresh server (nothing opened before the first session): RSS with 1, 5, 10... sessions
    open at once (each settled, its map drawn), a quarter change in all of them together, and RSS
    after they close."""
    out: dict[str, float] = {"load_start": os.getloadavg()[0]}
    with serve(script, timeout_s, env) as server:
        open_: list[Session] = []
        for n in sorted(sessions):
            while len(open_) < n:
                s = open_session(browser)
                s.page.goto(server.base + "/", wait_until="commit")
                open_.append(s)
            for s in open_:
                settled(s.page, timeout_s)
                map_drawn(s.page, timeout_s)
            out[f"rss_{n}"] = rss_mb(server.pid)
            log(f"    {script.name}: {n} sessions: {out[f'rss_{n}']:.0f} MB")
        if open_:
            since = [s.page.evaluate("performance.now()") for s in open_]
            for s in open_:
                s.page.add_style_tag(content=NO_STALE_CSS)
                s.page.get_by_role("slider").first.focus()
            t0 = time.perf_counter()
            for s in open_:
                s.page.keyboard.press("ArrowLeft")
            for s, t in zip(open_, since, strict=True):
                settled(s.page, timeout_s, since_ms=t)
            out["crowd_change"] = time.perf_counter() - t0
        for s in open_:
            s.context.close()
        time.sleep(5)
        out["rss_closed"] = rss_mb(server.pid)
    ns = sorted(sessions)
    if len(ns) > 1:
        out["per_session"] = (out[f"rss_{ns[-1]}"] - out[f"rss_{ns[0]}"]) / (ns[-1] - ns[0])
    out["load_end"] = os.getloadavg()[0]
    return out


def summary(runs: list[dict[str, float]]) -> dict[str, tuple[float, float, float]]:
    """Per figure: (median, lowest, highest) over the runs, NaN runs left out."""
    keys = {k for r in runs for k in r}
    out = {}
    for k in keys:
        values = [r[k] for r in runs if k in r and r[k] == r[k]]
        out[k] = (median(values), min(values), max(values)) if values else (float("nan"),) * 3
    return out


def mapclassify_cost() -> tuple[float, float]:
    """Seconds and MB that ``import mapclassify`` adds after the app's own heavy imports."""
    code = ("import time, geopandas, pandas, pydeck\n"
            "def rss(): return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])\n"
            "r0 = rss(); t0 = time.perf_counter(); import mapclassify\n"
            "print(time.perf_counter() - t0, (rss() - r0) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, mb = out.stdout.split()
    return float(seconds), float(mb)


SCALE = {"first_bytes": 1e3, "q_bytes": 1e3, "q_deck_bytes": 1e3, "q_wire_bytes": 1e3, "council_bytes": 1e3,
         "ward_bytes": 1e3}  # bytes shown in KB


def report(app: dict[str, tuple[float, float, float]], base: dict[str, tuple[float, float, float]],
           mc: tuple[float, float]) -> list[dict[str, str]]:
    """One row per figure: this build and the minimal page (or target) as 'median (lowest-highest)',
    the ratio of the medians and what the target is."""
    rows: list[dict[str, str]] = []
    nan3 = (float("nan"),) * 3

    def cell(stats: tuple[float, float, float], fmt: str, div: float) -> str:
        mid, low, high = (v / div for v in stats)
        if mid != mid:
            return ""
        return fmt.format(mid) + ("" if low == high else f" ({fmt.format(low)}-{fmt.format(high)})")

    def row(label: str, key: str, unit: str, target: str, baseline: float | None = None, fmt: str = "{:.2f}") -> None:
        div = SCALE.get(key, 1.0)
        ours = app.get(key, nan3)
        other = base.get(key, nan3) if baseline is None else (baseline, baseline, baseline)
        ratio = f"{ours[0] / other[0]:.2f}x" if other[0] and other[0] == other[0] and ours[0] == ours[0] else ""
        rows.append({"measure": f"{label} ({unit})", "this build": cell(ours, fmt, div),
                     "baseline": cell(other, fmt, div) if baseline is None else fmt.format(baseline),
                     "ratio": ratio, "target": target})

    kb = "{:,.0f}"
    row("Start to first map, cold", "cold_map", "s", "<= 1.0x size-matched minimal page")
    row("Start to first map, warm (new session)", "warm_map", "s", "<= 1.2x minimal page")
    row("First page complete, warm", "warm_complete", "s", "")
    row("First script run, cold", "cold_script", "s", "")
    row("First script run, warm", "warm_script", "s", "")
    row("Map on screen, width", "map_w", "px", "same size", fmt="{:.0f}")
    row("Map on screen, height", "map_h", "px", "same size", fmt="{:.0f}")
    row("Bytes received, first page", "first_bytes", "KB", "", fmt=kb)
    row("Quarter change: map redrawn", "q_map", "s", "< 1 s idle; <= 1.2x")
    row("Quarter change: page complete", "q_complete", "s", "<= 1.2x minimal page")
    row("Quarter change: bytes received", "q_bytes", "KB", "geometry not resent", fmt=kb)
    row("Quarter change: map JSON bytes", "q_deck_bytes", "KB", "", fmt=kb)
    row("Quarter change: bytes the server wrote (wire)", "q_wire_bytes", "KB", "after websocket compression", fmt=kb)
    row("Open a council from search: map drawn", "search_map", "s", "< 2 s", baseline=2.0)
    row("Open a council from search: page complete", "search_complete", "s", "< 2 s", baseline=2.0)
    row("Open a council by link: map drawn", "council_map", "s", "< 2 s", baseline=2.0)
    row("Open a council by link: page complete", "council_complete", "s", "< 2 s", baseline=2.0)
    row("Open a ward by link: map drawn", "ward_map", "s", "< 2 s", baseline=2.0)
    row("Open a ward by link: page complete", "ward_complete", "s", "< 2 s", baseline=2.0)
    ns = sorted({int(k.split("_")[1]) for k in [*app, *base] if k.startswith("rss_") and k.split("_")[1].isdigit()})
    for n in ns:
        row(f"Server memory, fresh server, {n} session{'s' if n > 1 else ''} open", f"rss_{n}", "MB", "",
            fmt="{:.0f}")
    if len(ns) > 1:
        row(f"Server memory per extra session ({ns[0]} to {ns[-1]}, fresh server)", "per_session", "MB",
            "shared data held once", fmt="{:.1f}")
    row("Server memory, all sessions closed (+5 s)", "rss_closed", "MB", "", fmt="{:.0f}")
    row(f"Quarter change in {ns[-1] if ns else 0} sessions at once", "crowd_change", "s", "<= 1.2x minimal page")
    row("Load average (1 min) at the runs' starts", "load_start", "", "2 CPUs: over 2 means waiting", fmt="{:.1f}")
    rows.append({"measure": "import mapclassify, fresh interpreter (s / MB)",
                 "this build": f"{mc[0]:.2f} / {mc[1]:.0f}",
                 "baseline": "", "ratio": "",
                 "target": "app server loaded scipy: " + ("yes" if app.get("scipy_loaded", (0,))[0] else "no")})
    return rows


def print_markdown(rows: list[dict[str, str]]) -> None:
    """The table as Markdown, for docs/benchmarks.md."""
    header = list(rows[0])
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r[h] for h in header) + " |")


def print_table(rows: list[dict[str, str]]) -> None:
    header = list(rows[0])
    width = [max(len(header[i]), *(len(r[h]) for r in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, width, strict=True)))
    for r in rows:
        print("  ".join(r[h].ljust(w) for h, w in zip(header, width, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="cold starts per page, interleaved A B A B")
    parser.add_argument("--memory-repeat", type=int, default=1, help="fresh servers per page for the memory figures")
    parser.add_argument("--sessions", default="1,5,10", help="session counts for the memory figures")
    parser.add_argument("--timeout", type=float, default=180, help="cap on each wait, seconds")
    parser.add_argument("--save", action="store_true", help="write bench/last_pages.json")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit("bench/pages.py needs ../shared/data beside the checkout")
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    wards = ROOT.parent / "shared" / "data" / "ons" / "ward_population_census2021_wd23.csv"
    import pandas as pd

    found = pd.read_csv(wards, encoding="utf-8-sig").query("WD23NM == 'Ainsdale' and LAD23NM == 'Sefton'")
    ward = found["WD23CD"].iloc[0]
    links = {"council": f"/council?lad={BIRMINGHAM}", "ward": f"/ward?ward={ward}"}
    sessions = [int(n) for n in args.sessions.split(",") if n.strip()]
    log = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    started = time.perf_counter()
    runs: dict[str, list[dict[str, float]]] = {"app": [], "minimal": []}
    mem: dict[str, list[dict[str, float]]] = {"app": [], "minimal": []}
    matched: dict[str, str] | None = None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for name in schedule(args.repeat):
                if name == "app":
                    got = one_run(APP, browser, args.timeout, links, log)
                    if matched is None:
                        matched = size_matched(got["map_w"], got["map_h"])
                        log(f"  minimal page's map matched to the app's: {matched['AAM_BENCH_MAP']}")
                else:
                    got = one_run(MINIMAL, browser, args.timeout, {}, log, matched)
                runs[name].append(got)
                log(f"  {name} run {len(runs[name])}/{args.repeat} done (load {os.getloadavg()[0]:.1f})")
            for _ in range(args.memory_repeat):
                mem["app"].append(memory(APP, browser, sessions, args.timeout, log))
                mem["minimal"].append(memory(MINIMAL, browser, sessions, args.timeout, log, matched))
        finally:
            browser.close()
    app = summary(runs["app"]) | {k: v for k, v in summary(mem["app"]).items() if k not in ("load_start", "load_end")}
    base = summary(runs["minimal"]) | {k: v for k, v in summary(mem["minimal"]).items()
                                       if k not in ("load_start", "load_end")}
    loads = [r["load_start"] for r in runs["app"] + runs["minimal"] + mem["app"] + mem["minimal"]]
    rows = report(app, base, mapclassify_cost())
    print(f"Page benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, load average at the runs' "
          f"starts {median(loads):.1f} (from {min(loads):.1f} to {max(loads):.1f}), {args.repeat} interleaved cold "
          f"start(s) per page, {args.memory_repeat} fresh server(s) per page for memory, "
          f"took {time.perf_counter() - started:.0f} s")
    (print_markdown if args.markdown else print_table)(rows)
    if args.save:
        (ROOT / "bench" / "last_pages.json").write_text(json.dumps(
            {"rows": rows, "runs": runs, "memory": mem, "matched": matched}, indent=1))


if __name__ == "__main__":
    main()
