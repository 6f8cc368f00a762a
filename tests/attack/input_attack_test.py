"""Attacks through the request body and headers: timestamps, NUL and control
characters, lenient JSON, idempotency keys, no-op updates, response headers,
oversized bodies, and internals leaking into error messages (issue 19,
findings 4, 5, 7, 9, 10, 11, 12, 13)."""

import base64
import hashlib
import hmac
import json
import re
import unittest
import uuid

import stack as s

STACK = None


def setUpModule():
    global STACK
    # Auth is told of a chat service that is not there: deleting an account
    # then fails, and must not say where it tried to connect.
    STACK = s.Stack({"auth": {"CHAT_ADDR": f"127.0.0.1:{s.free_port()}"}})
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)


def create(token, task, headers=None):
    return s.json_request(STACK, "POST", "/v1/tasks", task, token, headers)


def forge(claims):
    """An HS256 token signed with the stack's own secret (as auth would sign it)."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(s.SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


# What no response body may contain: SQL, statement names, libpq text, addresses.
LEAK = re.compile(r"(ERROR:|DETAIL:|SQLSTATE|violates|malformed array|INSERT|SELECT|UPDATE |"
                  r"tasks_insert|auth_|connection to server|127\.0\.0\.1|port \d+|"
                  r"Failing row|\brelation\b|constraint)", re.IGNORECASE)


class TimestampTest(unittest.TestCase):
    """Finding 4: every accepted timestamp round-trips; others are refused by name."""

    @classmethod
    def setUpClass(cls):
        cls.token, _, _ = s.sign_up(STACK)

    def round_trip(self, stamp):
        status, _, body = create(self.token, {"title": "t", "due_date": stamp})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["due_date"], stamp)
        status, _, fetched = s.json_request(STACK, "GET", f"/v1/tasks/{body['id']}",
                                            token=self.token)
        self.assertEqual(fetched["due_date"], stamp)

    def test_every_year_edge_to_edge_round_trips(self):
        for stamp in ("0001-01-01T00:00:00Z", "0001-06-15T12:00:00Z", "0050-06-15T12:00:00Z",
                      "0099-12-31T23:59:59Z", "0999-02-28T01:02:03.500Z", "1000-01-01T00:00:00Z",
                      "1969-12-31T23:59:59.999999Z", "2026-12-04T18:00:00.123456Z",
                      "9999-12-31T23:59:59.999999Z"):
            with self.subTest(stamp=stamp):
                self.round_trip(stamp)

    def test_filters_with_early_years_find_the_task(self):
        status, _, body = create(self.token, {"title": "early", "due_date": "0012-03-04T00:00:00Z"})
        self.assertEqual(status, 200, body)
        status, _, listed = s.json_request(
            STACK, "GET", "/v1/tasks?due_after=0012-03-03T00:00:00Z"
            "&due_before=0012-03-05T00:00:00Z", token=self.token)
        self.assertEqual(status, 200, listed)
        self.assertEqual([t["id"] for t in listed["tasks"]], [body["id"]])

    def test_out_of_range_and_sub_microsecond_are_refused_by_name(self):
        for stamp in ("2026-01-01T00:00:00.000000001Z",):
            status, _, body = create(self.token, {"title": "t", "remind_at": stamp})
            self.assertEqual(status, 400, body)
            self.assertIn("remind_at", body["message"])
        # Beyond Timestamp's range the gateway's JSON parser refuses it.
        status, _, body = create(self.token, {"title": "t", "due_date": "10000-01-01T00:00:00Z"})
        self.assertEqual(status, 400, body)


class TextTest(unittest.TestCase):
    """Finding 5: NUL is never truncated; control characters refused where meaningless."""

    @classmethod
    def setUpClass(cls):
        cls.token, cls.user_id, _ = s.sign_up(STACK)

    def test_nul_in_task_text_is_refused_not_cut(self):
        for field in ("title", "description", "category"):
            task = {"title": "ok", field: "a\u0000b"}
            with self.subTest(field=field):
                status, _, body = create(self.token, task)
                self.assertEqual(status, 400, body)
                self.assertIn(field, body["message"])
        status, _, body = create(self.token, {"title": "ok", "tags": ["a\u0000b"]})
        self.assertEqual(status, 400, body)

    def test_control_characters_in_titles_tags_and_names_are_refused(self):
        for task in ({"title": "a\u0007b"}, {"title": "ok", "tags": ["x\u001by"]},
                     {"title": "ok", "category": "c\u0001"}):
            with self.subTest(task=task):
                status, _, body = create(self.token, task)
                self.assertEqual(status, 400, body)
        status, _, body = s.json_request(STACK, "POST", "/v1/auth/sign-up", {
            "email": f"n{uuid.uuid4().hex[:8]}@example.com", "password": "long enough pw",
            "name": "Ada\u0000Admin"})
        self.assertEqual(status, 400, body)

    def test_newlines_and_tabs_in_a_description_are_kept_exactly(self):
        text = "line one\n\tline two\r\nend"
        status, _, body = create(self.token, {"title": "ok", "description": text})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["description"], text)

    def test_nul_in_a_query_filter_is_refused(self):
        status, _, body = s.json_request(STACK, "GET", "/v1/tasks?category=a%00b",
                                         token=self.token)
        self.assertEqual(status, 400, body)

    def test_a_token_sub_with_nul_is_not_another_user(self):
        victim_token, victim_id, _ = s.sign_up(STACK)
        status, _, task = create(victim_token, {"title": "victim's"})
        self.assertEqual(status, 200, task)
        import time
        token = forge({"sub": victim_id + "\u0000evil", "exp": int(time.time()) + 600})
        status, _, body = s.json_request(STACK, "GET", f"/v1/tasks/{task['id']}", token=token)
        self.assertEqual(status, 401, body)
        status, _, body = s.json_request(STACK, "GET", "/v1/auth/me", token=token)
        self.assertEqual(status, 401, body)


class StrictJsonTest(unittest.TestCase):
    """Finding 13: what protobuf's strict JSON parser refuses is refused."""

    @classmethod
    def setUpClass(cls):
        cls.token, _, _ = s.sign_up(STACK)

    def test_lenient_json_is_refused(self):
        for body in (b'{title:"x"}', b"{'title':'x'}", b'{"title":\'x\'}', b'{"title":"x"} x',
                     b'{"title":"x"}{"title":"y"}', b'{"title":"\x01"}', b'[{"title":"x"}]'):
            with self.subTest(body=body):
                status, _, answer = s.request(STACK, "POST", "/v1/tasks", body, self.token)
                self.assertEqual(status, 400, answer)

    def test_trailing_commas_stay_accepted_as_envoy_does(self):
        status, _, answer = s.request(STACK, "POST", "/v1/tasks", b'{"title":"x","tags":["a",],}',
                                      self.token)
        self.assertEqual(status, 200, answer)

    def test_strict_json_is_accepted(self):
        status, _, answer = s.request(STACK, "POST", "/v1/tasks",
                                      b' {\n "title" : "x\\u00e9" , "tags":[] } ', self.token)
        self.assertEqual(status, 200, answer)


class IdempotencyTest(unittest.TestCase):
    """Finding 10: a reused X-Request-Id with another body is 422 and changes nothing."""

    def test_same_id_other_body_is_422_and_changes_nothing(self):
        token, _, _ = s.sign_up(STACK)
        key = {"X-Request-Id": f"attack-{uuid.uuid4().hex}"}
        status, _, first = create(token, {"title": "first"}, key)
        self.assertEqual(status, 200, first)
        status, _, again = create(token, {"title": "first"}, key)
        self.assertEqual((status, again["id"]), (200, first["id"]))
        status, _, other = create(token, {"title": "second"}, key)
        self.assertEqual(status, 422, other)
        status, _, listed = s.json_request(STACK, "GET", "/v1/tasks", token=token)
        self.assertEqual([t["title"] for t in listed["tasks"]], ["first"])

    def test_complete_with_a_reused_id_on_another_task_is_422(self):
        token, _, _ = s.sign_up(STACK)
        _, _, a = create(token, {"title": "a"})
        _, _, b = create(token, {"title": "b"})
        key = {"X-Request-Id": f"attack-{uuid.uuid4().hex}"}
        status, _, _ = s.json_request(STACK, "POST", f"/v1/tasks/{a['id']}:complete", {}, token,
                                      key)
        self.assertEqual(status, 200)
        status, _, body = s.json_request(STACK, "POST", f"/v1/tasks/{b['id']}:complete", {}, token,
                                         key)
        self.assertEqual(status, 422, body)
        _, _, fetched = s.json_request(STACK, "GET", f"/v1/tasks/{b['id']}", token=token)
        self.assertEqual(fetched["status"], "pending")


class NoOpUpdateTest(unittest.TestCase):
    """Finding 11: a PATCH that changes nothing keeps the etag."""

    def test_empty_and_same_value_patches_keep_the_etag(self):
        token, _, _ = s.sign_up(STACK)
        _, _, task = create(token, {"title": "keep", "priority": "high"})
        for patch in ({}, {"title": "keep"}, {"priority": "high", "tags": []}):
            with self.subTest(patch=patch):
                status, _, updated = s.json_request(STACK, "PATCH", f"/v1/tasks/{task['id']}",
                                                    patch, token)
                self.assertEqual(status, 200, updated)
                self.assertEqual(updated["etag"], task["etag"])
                self.assertEqual(updated["updated_at"], task["updated_at"])
        status, _, changed = s.json_request(STACK, "PATCH", f"/v1/tasks/{task['id']}",
                                            {"title": "changed"}, token)
        self.assertNotEqual(changed["etag"], task["etag"])


class ResponseHeaderTest(unittest.TestCase):
    """Finding 12: nosniff everywhere, no-store on tokens, request ids sanitised."""

    def test_nosniff_on_every_response(self):
        for method, path in (("GET", "/health"), ("GET", "/v1/tasks"), ("GET", "/nope"),
                             ("GET", "/ready")):
            with self.subTest(path=path):
                _, headers, _ = s.request(STACK, method, path)
                self.assertEqual(headers.get("x-content-type-options"), "nosniff")

    def test_token_responses_are_not_stored(self):
        email = f"h{uuid.uuid4().hex[:10]}@example.com"
        status, headers, _ = s.request(STACK, "POST", "/v1/auth/sign-up", {
            "email": email, "password": "long enough pw", "name": "H"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("cache-control"), "no-store")
        status, headers, _ = s.request(STACK, "POST", "/v1/auth/sign-in", {
            "email": email, "password": "long enough pw"})
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("cache-control"), "no-store")

    def test_unsafe_request_ids_are_replaced(self):
        for given in ("<script>alert(1)</script>", "a" * 200, "id with spaces", "x\"y"):
            with self.subTest(given=given):
                _, headers, _ = s.request(STACK, "GET", "/health", headers={"X-Request-Id": given})
                echoed = headers.get("x-request-id", "")
                self.assertNotEqual(echoed, given)
                self.assertRegex(echoed, r"^[A-Za-z0-9._:\-]{1,128}$")
        _, headers, _ = s.request(STACK, "GET", "/health", headers={"X-Request-Id": "abc-123.x_y"})
        self.assertEqual(headers.get("x-request-id"), "abc-123.x_y")


class OversizedBodyTest(unittest.TestCase):
    """Finding 9: a message over the upstream's limit is 413 before it is sent."""

    def test_body_over_a_services_limit_is_413_not_429(self):
        token, _, _ = s.sign_up(STACK)
        # Under the gateway's own body limit, over what each service takes
        # (tasks 64 KiB, auth 16 KiB).
        for path, body, bearer in (
                ("/v1/tasks", {"title": "x", "description": "a" * (100 * 1024)}, token),
                ("/v1/auth/sign-in", {"email": "a@example.com", "password": "p" * (20 * 1024)},
                 None)):
            with self.subTest(path=path):
                status, headers, answer = s.request(STACK, "POST", path, body, bearer)
                self.assertEqual(status, 413, answer)
                self.assertNotIn("retry-after", headers)


class LeakTest(unittest.TestCase):
    """Finding 7: no SQL, statement names, rows or addresses in any response."""

    @classmethod
    def setUpClass(cls):
        cls.token, cls.user_id, _ = s.sign_up(STACK)

    def assert_clean(self, status, body):
        text = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.assertNotRegex(text, LEAK, f"{status}: {text}")

    def test_bad_inputs_leak_nothing(self):
        cases = [
            ("POST", "/v1/tasks", {"title": "x", "tags": ["{\"a", "b}"]}),
            ("POST", "/v1/tasks", {"title": "x", "tags": ["\\", "\""]}),
            ("POST", "/v1/tasks", {"title": "x" * 201}),
            ("POST", "/v1/tasks", {"title": "x", "description": "d" * 1001}),
            ("POST", "/v1/tasks", {"title": "x", "due_date": "0050-06-15T12:00:00Z"}),
            ("GET", "/v1/tasks?page_token=garbage", None),
            ("GET", "/v1/tasks?q=%27%3B%20DROP", None),
            ("GET", "/v1/tasks/999999999999", None),
            ("PATCH", "/v1/tasks/1", {"etag": "x", "title": "y"}),
        ]
        for method, path, body in cases:
            for key in (None, {"X-Request-Id": f"leak-{uuid.uuid4().hex}"}):
                with self.subTest(path=path, body=body, keyed=bool(key)):
                    status, _, answer = s.json_request(STACK, method, path, body, self.token, key)
                    self.assertLess(status, 500, answer)
                    self.assert_clean(status, answer)

    def test_an_unreachable_peer_leaks_no_address(self):
        token, _, _ = s.sign_up(STACK)
        status, _, answer = s.json_request(STACK, "DELETE", "/v1/auth/me", token=token)
        self.assertEqual(status, 503, answer)
        self.assert_clean(status, answer)

    def test_an_unreachable_service_leaks_no_address(self):
        # No chat service runs in this stack.
        status, _, answer = s.json_request(STACK, "POST", "/v1/chat", {"message": "hi"},
                                           self.token)
        self.assertEqual(status, 503, answer)
        self.assert_clean(status, answer)

    def test_database_outage_leaks_no_address(self):
        STACK.pg.psql("ALTER SYSTEM SET max_connections = 200")  # harmless, keeps psql warm
        STACK.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = 'todo' AND pid <> pg_backend_pid()")
        for _ in range(5):
            status, _, answer = s.json_request(STACK, "GET", "/v1/tasks", token=self.token)
            self.assert_clean(status, answer)
            status, _, answer = s.json_request(STACK, "GET", "/v1/auth/me", token=self.token)
            self.assert_clean(status, answer)


if __name__ == "__main__":
    unittest.main()
