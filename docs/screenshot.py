"""Take docs/screenshot.png: the demo desk as the supervisor sees it, a ticket open.

    .venv/bin/python docs/screenshot.py

A fresh SQLite database with the demo data, `flask desk serve` on a free port,
Debian's Chromium through Playwright. Nothing of a running desk is touched.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshot.png"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/desk.sqlite3",
               "SECRET_KEY": "screenshot-only", "FLASK_APP": "wsgi"}
        env.pop("REDIS_URL", None)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for args in (["db", "upgrade"], ["desk", "demo"]):
            subprocess.run([*flask, *args], cwd=ROOT, env=env, check=True,  # noqa: S603
                           capture_output=True)
        port = free_port()
        server = subprocess.Popen([*flask, "desk", "serve", "--port", str(port)],  # noqa: S603
                                  cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
                page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="de-DE")
                page.goto(f"{base}/login")
                page.fill("input[name=email]", "supervisor@example.com")
                page.fill("input[name=password]", "demo-supervisor-2026")
                page.click("form [type=submit]")
                page.wait_for_url(f"{base}/inbox/**")
                page.goto(f"{base}/inbox/open")
                page.click(".queue-row a.row-link >> nth=1")
                page.wait_for_selector("#ticket-thread")
                page.wait_for_timeout(800)
                page.screenshot(path=str(OUT))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
