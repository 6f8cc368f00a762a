"""What held when the suite was attacked (issue 19, "What held"), kept
tested from outside: forged tokens, account probing, cross-tenant access,
and malformed framing."""

import base64
import hashlib
import hmac
import json
import time
import unittest
import uuid

import stack as s

STACK = None


def setUpModule():
    global STACK
    STACK = s.Stack({"auth": {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}})
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(header, claims, secret=s.SECRET):
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def raw(data):
    with s.connect(STACK) as sock:
        sock.sendall(data)
        return s.read_response(sock)


class HeldTest(unittest.TestCase):
    def test_forged_tokens_are_refused(self):
        _, user_id, _ = s.sign_up(STACK)
        now = int(time.time())
        claims = {"sub": user_id, "exp": now + 600}
        forged = [
            f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(json.dumps(claims).encode())}.",
            token({"alg": "HS256"}, claims, secret="not-the-secret-" * 3),
            token({"alg": "HS256"}, {"sub": user_id, "exp": now - 3600}),
            token({"alg": "HS512"}, claims),
            token({"alg": "RS256", "kid": "x"}, claims),
            "not.a.token",
            "",
        ]
        for bad in forged:
            for method, path in (("GET", "/v1/tasks"), ("GET", "/v1/auth/me")):
                with self.subTest(token=bad[:40], path=path):
                    status, _, _ = s.json_request(STACK, method, path, token=bad or None)
                    self.assertEqual(status, 401)

    def test_unknown_email_and_wrong_password_answer_alike(self):
        _, _, email = s.sign_up(STACK)
        a = s.json_request(STACK, "POST", "/v1/auth/sign-in",
                           {"email": email, "password": "wrong password"})
        b = s.json_request(STACK, "POST", "/v1/auth/sign-in",
                           {"email": f"nobody{uuid.uuid4().hex[:6]}@example.com",
                            "password": "wrong password"})
        self.assertEqual((a[0], a[2]), (b[0], b[2]))
        self.assertEqual(a[0], 401)

    def test_another_users_tasks_are_not_found(self):
        owner, owner_id, _ = s.sign_up(STACK)
        thief, thief_id, _ = s.sign_up(STACK)
        _, _, task = s.json_request(STACK, "POST", "/v1/tasks", {"title": "mine"}, owner)
        tid = task["id"]
        attempts = [("GET", f"/v1/tasks/{tid}", None),
                    ("PATCH", f"/v1/tasks/{tid}", {"title": "stolen"}),
                    ("DELETE", f"/v1/tasks/{tid}", None),
                    ("POST", f"/v1/tasks/{tid}:complete", {}),
                    ("POST", f"/v1/tasks/{tid}:reopen", {}),
                    ("GET", f"/api/{owner_id}/tasks", None),
                    ("GET", f"/api/{owner_id}/tasks/{tid}", None),
                    ("PUT", f"/api/{owner_id}/tasks/{tid}", {"title": "stolen"}),
                    ("DELETE", f"/api/{owner_id}/tasks/{tid}", None),
                    ("PATCH", f"/api/{owner_id}/tasks/{tid}/complete", {}),
                    ("POST", f"/api/{owner_id}/tasks", {"title": "planted"}),
                    ("GET", f"/api/{thief_id}/tasks/{tid}", None)]
        for method, path, body in attempts:
            with self.subTest(method=method, path=path):
                status, _, answer = s.json_request(STACK, method, path, body, thief)
                self.assertEqual(status, 404, answer)
        _, _, kept = s.json_request(STACK, "GET", f"/v1/tasks/{tid}", token=owner)
        self.assertEqual((kept["title"], kept["status"]), ("mine", "pending"))

    def test_malformed_framing_is_refused_without_a_500(self):
        self.assertEqual(raw(b"GET /health HTTP/1.1\nHost: a\n\n")[0], 400)  # bare LF
        big = b"GET /health HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * (100 * 1024) + b"\r\n\r\n"
        self.assertEqual(raw(big)[0], 431)
        self.assertEqual(raw(b"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                             b"Content-Length: 6\r\n\r\nhello!")[0], 400)


if __name__ == "__main__":
    unittest.main()
