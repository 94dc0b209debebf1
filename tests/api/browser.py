"""Headless Chromium over the DevTools protocol: open a page, collect console errors and broken
images, take a screenshot. ``find_browser()`` is None where no Chromium is installed."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.n = 0
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = 30, **params):
        self.n += 1
        my = self.n
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise TimeoutError(method)

    def wait_for(self, event: str, timeout: float = 30) -> dict:
        for e in self.events:
            if e.get("method") == event:
                return e
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            self.events.append(msg)
            if msg.get("method") == event:
                return msg
        raise TimeoutError(event)


def inspect_page(url: str, screenshot: Path, *, width: int = 1366, height: int = 768) -> dict:
    """Load ``url``; return {"errors": [...console errors and exceptions...], "broken_images": [...],
    "images": n, "requests": [non-data URLs requested]}; write a PNG of the first screen and a full-page one."""
    import websocket  # websocket-client

    browser = find_browser()
    profile = tempfile.mkdtemp(prefix="kspec-chromium-")
    proc = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                             f"--window-size={width},{height}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        end = time.monotonic() + 60
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > end or proc.poll() is not None:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        import urllib.request

        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page_target = next(t for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(page_target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        page = Page(ws)
        for domain in ("Runtime", "Log", "Page", "Network"):
            page.call(f"{domain}.enable")
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        page.call("Page.navigate", url=url)
        page.wait_for("Page.loadEventFired", timeout=60)
        time.sleep(0.3)
        check = page.call("Runtime.evaluate", returnByValue=True, expression=(
            "JSON.stringify({n: document.images.length, broken: [...document.images]"
            ".filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60))})"))
        images = json.loads(check["result"]["value"])
        shot = page.call("Page.captureScreenshot", format="png")
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        metrics = page.call("Page.getLayoutMetrics")
        full_h = int(metrics.get("cssContentSize", metrics.get("contentSize"))["height"])
        page.call("Emulation.setDeviceMetricsOverride", width=width, height=min(full_h, 16000), deviceScaleFactor=1,
                  mobile=False)
        full = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        screenshot.with_name(screenshot.stem + "-full.png").write_bytes(base64.b64decode(full["data"]))
        errors, requests = [], []
        for e in page.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                errors.append(p.get("exceptionDetails", {}).get("text", "exception"))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                errors.append(p["entry"].get("text", ""))
            elif m == "Network.requestWillBeSent":
                u = p.get("request", {}).get("url", "")
                if not u.startswith("data:"):
                    requests.append(u)
        ws.close()
        return {"errors": errors, "broken_images": images["broken"], "images": images["n"], "requests": requests}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
