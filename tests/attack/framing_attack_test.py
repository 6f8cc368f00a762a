"""Request smuggling (issue 19, finding 3): HTTP/1.1 framing per RFC 9112."""

import json
import socket
import unittest

import stack as s

STACK = None
TOKEN = None


def setUpModule():
    global STACK, TOKEN
    STACK = s.Stack()
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)
    TOKEN, _, _ = s.sign_up(STACK)


def exchange(raw):
    """Sends raw bytes, reads the first response and whether the server then closed."""
    with s.connect(STACK) as sock:
        sock.sendall(raw)
        status, headers, body = s.read_response(sock)
        sock.settimeout(3)
        try:
            rest = sock.recv(65536)
        except socket.timeout:
            rest = None  # still open, nothing more to say
        closed = rest == b""
        return status, headers, body, closed, rest


def titles():
    status, _, listed = s.json_request(STACK, "GET", "/v1/tasks?page_size=500", token=TOKEN)
    assert status == 200, listed
    return [t["title"] for t in listed["tasks"]]


def smuggle(transfer_encoding):
    """A POST whose body is a whole second request creating a task."""
    inner_body = json.dumps({"title": f"smuggled via {transfer_encoding}"}).encode()
    inner = (f"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n"
             f"Content-Type: application/json\r\nContent-Length: {len(inner_body)}\r\n\r\n"
             ).encode() + inner_body
    return (f"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Transfer-Encoding: {transfer_encoding}\r\n\r\n").encode() + inner


class SmugglingTest(unittest.TestCase):
    def test_unknown_transfer_codings_are_refused_and_the_connection_closed(self):
        for coding in ("xchunked", "identity", "gzip", "chunked, identity", "chunked,chunked",
                       " chunked x", "gzip, chunked"):
            with self.subTest(coding=coding):
                status, _, _, closed, rest = exchange(smuggle(coding))
                self.assertIn(status, (400, 501))
                self.assertTrue(closed, rest)
        self.assertFalse([t for t in titles() if t.startswith("smuggled")])

    def test_repeated_transfer_encoding_header_is_refused(self):
        raw = (b"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n")
        status, _, _, closed, _ = exchange(raw)
        self.assertIn(status, (400, 501))
        self.assertTrue(closed)

    def test_chunked_alone_still_works(self):
        body = json.dumps({"title": "chunked ok"}).encode()
        raw = (f"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n"
               f"Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n"
               f"{len(body):x}\r\n").encode() + body + b"\r\n0\r\n\r\n"
        status, _, answer, _, _ = exchange(raw)
        self.assertEqual(status, 200, answer)

    def test_missing_or_repeated_host_is_400(self):
        for raw in (b"GET /health HTTP/1.1\r\n\r\n",
                    b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"):
            with self.subTest(raw=raw):
                status, _, _, closed, _ = exchange(raw)
                self.assertEqual(status, 400)
                self.assertTrue(closed)

    def test_obs_fold_is_400(self):
        raw = (b"GET /health HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n")
        status, _, _, closed, _ = exchange(raw)
        self.assertEqual(status, 400)
        self.assertTrue(closed)
        raw = (b"GET /health HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n\ttwo\r\n\r\n")
        self.assertEqual(exchange(raw)[0], 400)

    def test_content_length_with_transfer_encoding_is_400(self):
        raw = (f"POST /v1/tasks HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {TOKEN}\r\n"
               "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").encode()
        status, _, _, closed, _ = exchange(raw)
        self.assertEqual(status, 400)
        self.assertTrue(closed)

    def test_http10_without_host_is_served(self):
        status, _, _, _, _ = exchange(b"GET /health HTTP/1.0\r\n\r\n")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
