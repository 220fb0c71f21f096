"""Open Superset's dashboards in headless Chromium, logged in: check every chart drew, take screenshots.

    .venv-bi/bin/python bi/browser.py --url http://127.0.0.1:8088 [--out docs/img] [--explore]

Prints one JSON object: per dashboard its charts, how many drew, and the text of any chart that
shows an error. `--out` saves a PNG of each dashboard (`dashboard-<slug>.png`); `--explore` opens
every chart in Explore once, which makes Superset store the chart's query context (used when
adding a chart to bi/assets: see bi/export.py).

Chromium is driven through its DevTools protocol (websocket-client, a Superset dependency), no
WebDriver: log in with Superset's form, hand the session cookie to Chromium, open the page with
a viewport tall enough that every chart is drawn (dashboards draw charts in view only), poll
the DOM until no chart is loading.
"""

from __future__ import annotations

import argparse
import base64
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import websocket

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-allow-origins=*",
                  "--disable-features=Translate,MediaRouter,OptimizationHints", "--lang=id-ID"]
WIDTH = 1600

# What the dashboard page says about its charts (Superset 6 DOM).
DASHBOARD_STATE_JS = r"""
(() => {
  const slices = [...document.querySelectorAll('[data-test="chart-grid-component"]')];
  const charts = slices.map(s => {
    const error = s.querySelector('.ant-alert-error, [role="alert"], [data-test="error-alert"]');
    return {
      id: Number(s.getAttribute('data-test-chart-id')),
      name: s.getAttribute('data-test-chart-name'),
      viz_type: s.getAttribute('data-test-viz-type'),
      loading: !!s.querySelector('.loading, [data-test="loading-indicator"], .ant-skeleton'),
      error: error ? error.innerText.trim().slice(0, 500) : null,
      drawn: !!s.querySelector(['canvas', 'svg:not(.anticon svg)', 'table', '.header-line']
        .map(inner => '.dashboard-chart ' + inner).join(', ')),
    };
  });
  const bottom = Math.max(0, ...slices.map(s => s.getBoundingClientRect().bottom + window.scrollY));
  return JSON.stringify({n: slices.length, charts, bottom: Math.ceil(bottom), title: document.title,
                         login: location.pathname.startsWith('/login')});
})()
"""

EXPLORE_STATE_JS = r"""
(() => {
  const panel = document.querySelector('[data-test="chart-container"], .chart-container');
  const loading = !!document.querySelector('.loading, [data-test="loading-indicator"]');
  const error = document.querySelector('.ant-alert-error, [data-test="error-alert"], .alert-danger');
  const drawn = !!(panel && panel.querySelector('canvas, svg, table'));
  return JSON.stringify({loading, drawn, error: error ? error.innerText.slice(0, 500) : null});
})()
"""


def find_chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def session_cookie(base: str, username: str, password: str) -> str:
    """Log in through Superset's login form; the value of its `session` cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login/", timeout=30) as page:
        html = page.read().decode()
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html, re.S)
    if not match:
        raise RuntimeError(f"no csrf_token on {base}/login/")
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": match.group(1)})
    with opener.open(urllib.request.Request(f"{base}/login/", data=form.encode()), timeout=30):
        pass
    for cookie in jar:
        if cookie.name == "session":
            return cookie.value
    raise RuntimeError("Superset set no session cookie: wrong user or password?")


class Chromium:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, chromium: str, width: int = WIDTH, height: int = 1200):
        self.profile = tempfile.mkdtemp(prefix="umkm-bi-chromium-")
        self.process = subprocess.Popen([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
                                         "--remote-debugging-port=0", f"--window-size={width},{height}",
                                         "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not start (no DevToolsActivePort)")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60,
                                              suppress_origin=True)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Network.enable")
        self.resize(width, height)

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def resize(self, width: int, height: int) -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def api(base: str, token: str, path: str, method: str = "GET", body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:                     # (a JSON content type on a GET without a body: HTTP 400)
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(f"{base}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.load(answer)


def api_token(base: str, username: str, password: str) -> str:
    request = urllib.request.Request(f"{base}/api/v1/security/login", method="POST",
                                     data=json.dumps({"username": username, "password": password,
                                                      "provider": "db", "refresh": False}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)["access_token"]


def wait_dashboard(browser: Chromium, seconds: float) -> dict:
    """Poll the page until it has charts and none is loading (and stays so for a moment)."""
    deadline = time.monotonic() + seconds
    state, settled = {}, 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        state = json.loads(browser.evaluate(DASHBOARD_STATE_JS) or "{}")
        if state.get("login"):
            return state
        busy = state.get("n", 0) == 0 or any(c["loading"] for c in state["charts"])
        settled = 0 if busy else settled + 1
        if settled >= 4:                          # two seconds without a spinner: animations done
            return state
    state["timeout"] = True
    return state


def check_dashboards(base: str, username: str, password: str, out: Path | None, seconds: float = 90) -> dict:
    chromium = find_chromium()
    if not chromium:
        raise SystemExit("chromium not found (apt-get install chromium)")
    token = api_token(base, username, password)
    dashboards = api(base, token, "/api/v1/dashboard/?q=(page_size:100)")["result"]
    cookie = session_cookie(base, username, password)
    browser = Chromium(chromium)
    report = {}
    try:
        browser.call("Network.setCookie", name="session", value=cookie, url=base, httpOnly=True)
        for dashboard in sorted(dashboards, key=lambda d: d["id"]):
            slug = dashboard["slug"] or str(dashboard["id"])
            browser.resize(WIDTH, 3000)           # every chart in view, so every chart is drawn
            started = time.monotonic()
            browser.navigate(f"{base}/superset/dashboard/{slug}/?standalone=1")
            state = wait_dashboard(browser, seconds)
            height = min(max(int(state.get("bottom") or 1200) + 24, 800), 4000)
            if out is not None:
                browser.resize(WIDTH, height)
                time.sleep(1.5)                   # let ECharts redraw at the final size
                state = wait_dashboard(browser, 30)
                out.mkdir(parents=True, exist_ok=True)
                browser.screenshot(out / f"dashboard-{slug}.png")
            report[slug] = {"title": dashboard["dashboard_title"], "seconds": round(time.monotonic() - started, 1),
                            **state}
    finally:
        browser.close()
    return report


def open_in_explore(base: str, username: str, password: str, seconds: float = 60) -> dict:
    """Open each chart without a stored query context in Explore, which stores it."""
    chromium = find_chromium()
    if not chromium:
        raise SystemExit("chromium not found (apt-get install chromium)")
    token = api_token(base, username, password)
    charts = api(base, token, "/api/v1/chart/?q=(page_size:100,columns:!(id,slice_name,query_context))")["result"]
    cookie = session_cookie(base, username, password)
    browser = Chromium(chromium, height=1000)
    report = {}
    try:
        browser.call("Network.setCookie", name="session", value=cookie, url=base, httpOnly=True)
        for chart in charts:
            if chart.get("query_context"):
                continue
            browser.navigate(f"{base}/explore/?slice_id={chart['id']}")
            deadline = time.monotonic() + seconds
            stored = False
            while time.monotonic() < deadline and not stored:
                time.sleep(1)
                stored = bool(api(base, token, f"/api/v1/chart/{chart['id']}")["result"].get("query_context"))
            report[chart["slice_name"]] = {"query_context_stored": stored,
                                           **json.loads(browser.evaluate(EXPLORE_STATE_JS) or "{}")}
    finally:
        browser.close()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8088")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--out", type=Path, help="save a screenshot of each dashboard here")
    parser.add_argument("--explore", action="store_true", help="store missing query contexts (see the docstring)")
    parser.add_argument("--seconds", type=float, default=90, help="wait at most this long for one dashboard")
    args = parser.parse_args()
    password = os.environ.get("UMKM_BI_ADMIN_PASSWORD") or "admin"
    if args.explore:
        report = open_in_explore(args.url, args.user, password)
    else:
        report = check_dashboards(args.url, args.user, password, args.out, args.seconds)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
