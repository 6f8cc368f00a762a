"""The task tools as an MCP server, through the gateway only.

The real todo-auth, todo-tasks, todo-chat and todo-gateway on a throwaway
Postgres (tests/attack/stack.py). The official MCP TypeScript SDK
(mcp_sdk_client.mjs) initializes, lists the tools and calls every one; raw
HTTP covers what an SDK never sends: malformed JSON, unknown methods, a
wrong protocol version, batches, GET, no token.
"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "attack"))
from stack import Stack, json_request, request, sign_up  # noqa: E402  (the one stack helper)

ACCEPT = "application/json, text/event-stream"


class McpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(os.path.join(REPO, "node_modules", "@modelcontextprotocol", "sdk")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REPO,
                           check=True, stdout=subprocess.DEVNULL)
        cls.stack = Stack(with_chat=True)
        cls.token, cls.user_id, _ = sign_up(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def post(self, body, headers=None, token=None):
        sent = {"Accept": ACCEPT}
        sent.update(headers or {})
        status, answered, raw = request(self.stack, "POST", "/mcp", body,
                                        self.token if token is None else token, sent)
        return status, answered, json.loads(raw) if raw and raw.startswith(b"{") else raw

    def test_the_sdk_client_uses_every_tool(self):
        other, _, _ = sign_up(self.stack)
        env = dict(os.environ, MCP_URL=f"http://127.0.0.1:{self.stack.http_port}/mcp",
                   TOKEN=self.token, OTHER_TOKEN=other)
        run = subprocess.run(["node", os.path.join(HERE, "mcp_sdk_client.mjs")], env=env,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr + run.stdout)
        seen = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"\nSDK client: server {seen['server']}, protocol {seen['protocol']}, "
              f"tools {seen['tools']}")
        self.assertEqual(seen["protocol"], "2025-11-25")

    def test_initialize_negotiates_a_version_it_speaks(self):
        for asked, answered in (("2025-06-18", "2025-06-18"), ("2025-11-25", "2025-11-25"),
                                ("2024-11-05", "2025-11-25")):
            status, headers, body = self.post({
                "jsonrpc": "2.0", "id": "init", "method": "initialize",
                "params": {"protocolVersion": asked, "capabilities": {},
                           "clientInfo": {"name": "raw", "version": "1"}}})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["id"], "init")
            self.assertEqual(body["result"]["protocolVersion"], answered)
            self.assertEqual(headers["mcp-protocol-version"], answered)

    def test_protocol_errors_get_the_specs_codes(self):
        cases = [
            (b'{"jsonrpc": "2.0", "id": 1, "method": ', 400, None, -32700),
            (b'[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]', 400, None, -32600),
            (b'"ping"', 400, None, -32600),
            (b'{"jsonrpc": "1.0", "id": 2, "method": "ping"}', 400, 2, -32600),
            (b'{"jsonrpc": "2.0", "id": null, "method": "ping"}', 400, None, -32600),
            (b'{"jsonrpc": "2.0", "id": 3, "method": 7}', 400, 3, -32600),
            (b'{"jsonrpc": "2.0", "id": 4, "method": "resources/list"}', 200, 4, -32601),
            (b'{"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": []}', 400, 5, -32602),
            (b'{"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {}}', 200, 6, -32602),
            (b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call",'
             b' "params": {"name": "add_task", "arguments": "x"}}', 200, 7, -32602),
            (b'{"jsonrpc": "2.0", "id": 8, "method": "tools/call",'
             b' "params": {"name": "no_such_tool"}}', 200, 8, -32602),
        ]
        for body, http_status, answer_id, code in cases:
            with self.subTest(body=body):
                status, _, answer = self.post(body, {"Content-Type": "application/json"})
                self.assertEqual(status, http_status, answer)
                self.assertEqual(answer["jsonrpc"], "2.0")
                self.assertEqual(answer["id"], answer_id)
                self.assertEqual(answer["error"]["code"], code)

    def test_a_wrong_protocol_version_header_is_400(self):
        for version in ("1999-01-01", "not-a-version", "2025-03-26"):
            status, _, body = self.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                        {"MCP-Protocol-Version": version})
            self.assertEqual(status, 400, body)
            self.assertEqual(body["error"]["code"], -32600)
        status, headers, _ = self.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                       {"MCP-Protocol-Version": "2025-06-18"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["mcp-protocol-version"], "2025-06-18")

    def test_notifications_and_responses_are_accepted_without_a_body(self):
        for body in ({"jsonrpc": "2.0", "method": "notifications/initialized"},
                     {"jsonrpc": "2.0", "id": 9, "result": {}}):
            status, _, answer = self.post(body)
            self.assertEqual(status, 202)
            self.assertEqual(answer, b"")

    def test_get_and_delete_are_405_and_other_framings(self):
        for method in ("GET", "DELETE", "PUT"):
            status, headers, _ = request(self.stack, method, "/mcp", token=self.token,
                                         headers={"Accept": "text/event-stream"})
            self.assertEqual(status, 405)
            self.assertEqual(headers["allow"], "POST")
        # Only events accepted: the answer is one event.
        status, headers, raw = self.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                         {"Accept": "text/event-stream"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/event-stream")
        self.assertEqual(raw, b'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n')
        status, _, _ = self.post({"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                 {"Accept": "text/html"})
        self.assertEqual(status, 406)
        status, _, _ = self.post(b"id=1", {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 415)
        status, _, _ = self.post(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' +
                                 b"a" * 70000 + b'"}}')
        self.assertEqual(status, 413)

    def test_no_token_is_401_pointing_at_the_resource_metadata(self):
        for token in ("", "not-a-jwt"):
            status, headers, _ = self.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                           token=token or "")
            self.assertEqual(status, 401)
            challenge = headers["www-authenticate"]
            self.assertTrue(challenge.startswith('Bearer resource_metadata="http://'), challenge)
            self.assertIn("/.well-known/oauth-protected-resource", challenge)
        for path in ("/.well-known/oauth-protected-resource",
                     "/.well-known/oauth-protected-resource/mcp"):
            status, _, document = json_request(self.stack, "GET", path)
            self.assertEqual(status, 200)
            self.assertTrue(document["resource"].endswith("/mcp"))
            self.assertEqual(document["bearer_methods_supported"], ["header"])
            self.assertEqual(len(document["authorization_servers"]), 1)

    def test_a_replayed_call_with_the_same_request_id_creates_one_task(self):
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "add_task", "arguments": {"title": "raw replay"}}}
        first = self.post(call, {"X-Request-Id": "raw-replay-1"})[2]["result"]
        again = self.post(call, {"X-Request-Id": "raw-replay-1"})[2]["result"]
        self.assertEqual(first["structuredContent"], again["structuredContent"])
        _, _, listed = json_request(self.stack, "GET", "/v1/tasks?q=replay", token=self.token)
        self.assertEqual([t["title"] for t in listed["tasks"]], ["raw replay"])


if __name__ == "__main__":
    unittest.main()
