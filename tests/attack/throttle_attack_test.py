"""Attacks on sign-in: parallel password guesses against the throttle, and
victims locked out by strangers (issue 19, finding 2)."""

import concurrent.futures
import time
import unittest

import stack as s

STACK = None


def setUpModule():
    global STACK
    # Cheap hashes, so 60 parallel guesses take little time on 2 CPUs.
    STACK = s.Stack({"auth": {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"},
                     # The test client stands for a proxy that names each caller.
                     "gateway": {"TRUSTED_PROXIES": "127.0.0.1"}})
    # Stopped however the module ends, even when the rest of this set-up fails.
    unittest.addModuleCleanup(STACK.stop)


def sign_in(email, password, address=None):
    headers = {"X-Forwarded-For": address} if address else None
    return s.json_request(STACK, "POST", "/v1/auth/sign-in",
                          {"email": email, "password": password}, headers=headers)


class ParallelGuessTest(unittest.TestCase):
    """Finding 2: concurrency never lets more guesses be checked."""

    def test_parallel_guesses_after_failures_are_not_all_checked(self):
        password = "the right one!"
        _, _, email = s.sign_up(STACK, password=password)
        for i in range(9):
            status, _, _ = sign_in(email, f"wrong {i}", "198.51.100.7")
            self.assertIn(status, (401, 429))
        guesses = [f"guess {i}" for i in range(59)] + [password]
        with concurrent.futures.ThreadPoolExecutor(60) as pool:
            answers = list(pool.map(lambda p: sign_in(email, p, "198.51.100.7"), guesses))
        statuses = [a[0] for a in answers]
        # At most the one guess the delay allows is checked, whichever it is.
        checked = sum(1 for st in statuses if st in (200, 401))
        self.assertLessEqual(checked, 1, statuses)
        refused = [a for a in answers if a[0] == 429]
        self.assertTrue(refused)
        self.assertIn("retry-after", refused[0][1])

    def test_a_stranger_cannot_lock_the_owner_out_for_long(self):
        password = "owner's password"
        _, _, email = s.sign_up(STACK, password=password)
        for i in range(12):
            sign_in(email, f"wrong {i}", "203.0.113.66")
        # The owner, from their own address, gets in at once or within a
        # short, announced wait; never a 15-minute lockout.
        deadline = time.time() + 20
        while True:
            status, headers, body = sign_in(email, password, "192.0.2.10")
            if status == 200:
                break
            self.assertEqual(status, 429, body)
            wait = int(headers.get("retry-after", "999"))
            self.assertLessEqual(wait, 10)  # the email key's cap
            self.assertLess(time.time() + wait, deadline, "locked out too long")
            time.sleep(wait)

    def test_a_client_cannot_choose_its_address_without_a_trusted_proxy(self):
        # Guesses from one address spread over forged X-Forwarded-For values
        # still share that address's keys when the gateway does not trust
        # the peer: the gateway tells auth the socket's address.
        stack = s.Stack({"auth": {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024"}})
        try:
            _, _, email = s.sign_up(stack, password="right password!")
            statuses = []
            for i in range(12):
                statuses.append(s.json_request(
                    stack, "POST", "/v1/auth/sign-in", {"email": email, "password": f"w{i}"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"})[0])
            self.assertIn(429, statuses, statuses)
        finally:
            stack.stop()


if __name__ == "__main__":
    unittest.main()
