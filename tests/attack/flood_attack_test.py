"""A sign-in flood (issue 19, finding 8): 200 parallel sign-ins gave 504s after
15 s and delayed an unrelated user's sign-in by seconds. Now the gateway
limits each client address, and auth's hashing queue is bounded: what cannot
be served soon is refused at once with 429 and Retry-After."""

import concurrent.futures
import time
import unittest

import stack as s

STACK = None


def setUpModule():
    global STACK
    # Argon2 at its production cost; the test client stands for a proxy that
    # names each caller (X-Forwarded-For).
    STACK = s.Stack({"gateway": {"TRUSTED_PROXIES": "127.0.0.1"}})
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)


def sign_in(email, password, address):
    started = time.monotonic()
    status, headers, body = s.json_request(STACK, "POST", "/v1/auth/sign-in",
                                           {"email": email, "password": password},
                                           headers={"X-Forwarded-For": address})
    return status, headers, body, time.monotonic() - started


def flood(addresses):
    with concurrent.futures.ThreadPoolExecutor(len(addresses)) as pool:
        return list(pool.map(lambda a: sign_in("victim@example.com", "wrong password", a),
                             addresses))


class FloodTest(unittest.TestCase):
    def assert_refusals_are_quick_and_say_when(self, answers):
        self.assertNotIn(504, [a[0] for a in answers])
        refused = [a for a in answers if a[0] == 429]
        self.assertTrue(refused, [a[0] for a in answers])
        for status, headers, body, _ in refused:
            self.assertGreaterEqual(int(headers["retry-after"]), 1, body)
        # Refused without waiting for the queue.
        self.assertLess(min(a[3] for a in refused), 2.0)

    def test_one_address_is_limited_at_the_gateway(self):
        answers = flood(["203.0.113.50"] * 200)
        self.assert_refusals_are_quick_and_say_when(answers)
        self.assertGreaterEqual(sum(1 for a in answers if a[0] == 429), 150)

    def test_many_addresses_meet_the_bounded_queue_and_others_still_get_in(self):
        _, _, email = s.sign_up(STACK, password="owner password")
        with concurrent.futures.ThreadPoolExecutor(1) as owner:
            answers_future = concurrent.futures.ThreadPoolExecutor(1).submit(
                flood, [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(200)])
            time.sleep(0.2)  # the flood is under way

            def owner_signs_in():
                started = time.monotonic()
                while True:
                    status, headers, body, _ = sign_in(email, "owner password", "192.0.2.200")
                    if status == 200:
                        return time.monotonic() - started
                    self.assertEqual(status, 429, body)
                    time.sleep(int(headers["retry-after"]))
            took = owner.submit(owner_signs_in).result(timeout=60)
            answers = answers_future.result(timeout=60)
        self.assert_refusals_are_quick_and_say_when(answers)
        self.assertLess(took, 15.0, "the owner's sign-in waited as long as the gateway timeout")


if __name__ == "__main__":
    unittest.main()
