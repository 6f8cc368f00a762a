"""The web app in a real browser (browser_test.mjs: Debian's Chromium via
puppeteer-core) against the real suite on loopback, through the gateway
that serves the app; and the OpenAPI document checked by a validator and
by calling every route it lists (openapi_test.mjs).

Screenshots of the main screens and the first-load measurement are kept in
ARTIFACTS (build/<preset>/test-artifacts/web).
"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "attack"))
from stack import Stack, sign_up  # noqa: E402  (the one stack helper)


def node(script, env, timeout):
    run = subprocess.run(["node", os.path.join(HERE, script)], env=env, capture_output=True,
                         text=True, timeout=timeout)
    return run


class WebApp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(with_chat=True, extra_env={"tasks": {"REMINDER_POLL_INTERVAL_S": "1"}})
        cls.env = dict(os.environ, BASE_URL=f"http://127.0.0.1:{cls.stack.http_port}",
                       ARTIFACTS=os.environ.get("ARTIFACTS",
                                                os.path.join(REPO, "build", "test-artifacts",
                                                             "web")))

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_the_app_in_a_browser(self):
        run = node("browser_test.mjs", self.env, 240)
        self.assertEqual(run.returncode, 0, run.stderr[-4000:] + run.stdout[-2000:])
        report = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"\nfirst load: {report['first_load_bytes']} bytes over the wire, "
              f"{report['first_load_ms']} ms to a usable form "
              f"(DOMContentLoaded {report['dom_content_loaded_ms']} ms); "
              f"screenshots in {self.env['ARTIFACTS']}")

    def test_the_openapi_document_is_valid_and_true(self):
        token, user_id, _ = sign_up(self.stack)
        env = dict(self.env, TOKEN=token, USER_ID=user_id)
        run = node("openapi_test.mjs", env, 120)
        self.assertEqual(run.returncode, 0, run.stderr[-4000:] + run.stdout[-2000:])
        print("\n" + run.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    unittest.main()
