"""Fault drills (label "drill"): two replicas of each backend behind the
gateway, a steady mixed load of writes and reads through it, and one fault
at a time. After every drill, every write answered 2xx is in the database
and none is applied twice. Each drill prints its figures.
"""
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "attack"))
from stack import PROBE, Stack, json_request, request, sign_up  # noqa: E402

import subprocess  # noqa: E402

DEADLINE_S = 5  # the gateway's REQUEST_TIMEOUT_S in these drills (sign-up hashes)


class Load:
    """Writers create tasks with unique titles (each with its own
    X-Request-Id), readers list them; every answer is recorded as
    (kind, status, started, seconds, title)."""

    def __init__(self, stack, token, writers=3, readers=2):
        self.stack, self.token = stack, token
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(writers)]
        self.threads += [threading.Thread(target=self.read) for _ in range(readers)]

    def record(self, kind, call, title=None):
        started = time.monotonic()
        try:
            status = call()
        except OSError:
            status = 0  # no HTTP answer at all
        with self.lock:
            self.results.append((kind, status, started, time.monotonic() - started, title))

    def write(self, n):
        i = 0
        while not self.stopping.is_set():
            title = f"drill {n}-{i} {uuid.uuid4().hex[:8]}"
            self.record("write", lambda: request(self.stack, "POST", "/v1/tasks", {"title": title},
                                                 self.token,
                                                 {"X-Request-Id": uuid.uuid4().hex})[0], title)
            i += 1
            time.sleep(0.01)

    def read(self):
        while not self.stopping.is_set():
            self.record("read", lambda: request(self.stack, "GET", "/v1/tasks?page_size=5",
                                                token=self.token)[0])
            time.sleep(0.01)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=DEADLINE_S + 20)

    def answers(self, since=0.0, until=float("inf")):
        with self.lock:
            return [r for r in self.results if since <= r[2] < until]


def ok(status):
    return 200 <= status < 300


class FaultDrills(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(replicas=2, with_chat=True, extra_env={
            "gateway": {"REQUEST_TIMEOUT_S": str(DEADLINE_S)},
            "all": {"LOG_LEVEL": "warning"}})
        self.token, self.user_id, _ = sign_up(self.stack)

    def tearDown(self):
        self.stack.stop()

    def health(self, port, service):
        out = subprocess.run([PROBE, f"127.0.0.1:{port}", "health", service], capture_output=True,
                             text=True)
        return out.stdout.strip()

    def ready_status(self):
        try:
            return request(self.stack, "GET", "/ready")[0]
        except OSError:
            return 0

    def backend_ports(self):
        return [(name, port) for name in self.stack.backends for port in self.stack.ports[name]]

    def check_writes(self, load, drill):
        """Every 2xx write is stored exactly once; no write is stored twice."""
        stored = {}
        for line in self.stack.pg.psql(
                f"SELECT title, count(*) FROM tasks.tasks WHERE user_id = '{self.user_id}' "
                "GROUP BY title", database="todo").splitlines():
            title, count = line.rsplit("|", 1)
            stored[title] = int(count)
        writes = [r for r in load.answers() if r[0] == "write"]
        answered = [r[4] for r in writes if ok(r[1])]
        lost = [title for title in answered if stored.get(title, 0) == 0]
        doubled = [title for title, count in stored.items() if count > 1]
        failed = len(writes) - len(answered)
        print(f"{drill}: {len(writes)} writes ({failed} failed), "
              f"{len(load.answers()) - len(writes)} reads; lost {len(lost)}, doubled {len(doubled)}",
              file=sys.stderr)
        self.assertEqual(lost, [], f"{drill}: 2xx writes missing from the database")
        self.assertEqual(doubled, [], f"{drill}: writes applied twice")

    def test_postgres_stopped_for_5_seconds(self):
        pids = {name: s.process.pid for name, s in self.stack.services.items()}
        with Load(self.stack, self.token) as load:
            time.sleep(2)
            self.stack.pg.pause()
            down = time.monotonic()
            time.sleep(2.5)  # the watchers ping every second
            for name, port in self.backend_ports():
                self.assertEqual(self.health(port, ""), "NOT_SERVING", name)
                self.assertEqual(self.health(port, "liveness"), "SERVING", name)
            self.assertEqual(self.ready_status(), 503)
            time.sleep(max(0.0, 5 - (time.monotonic() - down)))
            self.stack.pg.resume()
            back = time.monotonic()
            # Within 3 s of its return: every backend SERVING, /ready 200,
            # and from then on every call succeeds.
            time.sleep(3)
            states = {f"{name}:{port}": self.health(port, "") for name, port in self.backend_ports()}
            ready = self.ready_status()
            time.sleep(2)
        during = load.answers(down, back)
        slow = [r for r in during if r[3] > DEADLINE_S + 1]
        statuses = sorted({r[1] for r in during})
        failed_after = [r for r in load.answers(back) if not ok(r[1])]
        recovered = max((r[2] + r[3] for r in failed_after), default=back) - back
        print(f"postgres outage: {len(during)} answers during it, statuses {statuses}, "
              f"slowest {max((r[3] for r in during), default=0):.2f} s; the last failure ended "
              f"{recovered:.2f} s after Postgres returned", file=sys.stderr)
        self.assertTrue(all(ok(s) or s == 503 for s in statuses), statuses)
        self.assertEqual(slow, [], "an answer during the outage waited past the deadline")
        self.assertTrue(all(state == "SERVING" for state in states.values()), states)
        self.assertEqual(ready, 200)
        late = [r for r in failed_after if r[2] >= back + 3]
        self.assertEqual(late, [], "calls made 3 s after Postgres returned failed")
        self.assertEqual(pids, {name: s.process.pid for name, s in self.stack.services.items()})
        self.assertTrue(all(s.process.poll() is None for s in self.stack.services.values()))
        self.check_writes(load, "postgres outage")

    def test_one_replica_of_each_backend_killed(self):
        with Load(self.stack, self.token) as load:
            time.sleep(2)
            killed = time.monotonic()
            for name in self.stack.backends:
                self.stack.services[f"{name}-0"].process.kill()
            time.sleep(4)
        failures = [r for r in load.answers() if not ok(r[1])]
        statuses = sorted({r[1] for r in failures})
        late = [r for r in failures if r[2] > killed + 0.5]
        print(f"replica killed: {len(failures)} failed of {len(load.answers())}, statuses {statuses}, "
              f"{len(late)} started after the kill", file=sys.stderr)
        self.assertTrue(all(s == 503 for s in statuses), statuses)
        self.assertEqual(late, [], "calls started after the kill failed: not routed around")
        self.check_writes(load, "replica killed")

    def test_rolling_restart_by_sigterm(self):
        with Load(self.stack, self.token) as load:
            time.sleep(1)
            for name in self.stack.backends:
                for i, port in enumerate(self.stack.ports[name]):
                    service = self.stack.services[f"{name}-{i}"]
                    self.assertEqual(service.terminate(timeout=20), 0, f"{name}-{i} exit status")
                    service.start()
                    self.stack.wait_serving(port)
                    time.sleep(1)
            time.sleep(1)
        failures = [r for r in load.answers() if not ok(r[1])]
        print(f"rolling restart: {len(failures)} failed of {len(load.answers())}",
              file=sys.stderr)
        self.assertEqual(failures, [])
        self.check_writes(load, "rolling restart")

    def test_slow_postgres_holds_statements_past_the_deadline(self):
        # Long enough that calls made after a first one timed out are held too.
        hold_s = 2 * DEADLINE_S + 3
        with Load(self.stack, self.token) as load:
            time.sleep(1)
            locker = subprocess.Popen(
                [os.path.join(self.stack.pg.bin, "psql"), "-h", "127.0.0.1", "-p",
                 str(self.stack.pg.port), "-U", "postgres", "-d", "todo", "-qc",
                 f"BEGIN; LOCK TABLE tasks.tasks IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({hold_s}); "
                 "COMMIT;"], stdout=subprocess.DEVNULL)
            locked = time.monotonic()
            locker.wait(timeout=hold_s + 10)
            released = time.monotonic()
            time.sleep(3)
        held = load.answers(locked + 0.2, released - DEADLINE_S - 0.5)
        statuses = sorted({r[1] for r in held})
        late = [r for r in held if r[3] > DEADLINE_S + 1]
        after = [r for r in load.answers(released + 1) if not ok(r[1])]
        print(f"slow postgres: {len(held)} calls started while held, statuses {statuses}, "
              f"slowest {max((r[3] for r in held), default=0):.2f} s; "
              f"{len(after)} failures from 1 s after release", file=sys.stderr)
        self.assertTrue(held, "no call was made while the lock was held")
        self.assertIn(504, statuses)
        self.assertTrue(all(ok(s) or s == 504 for s in statuses), statuses)
        self.assertEqual(late, [], "a call outlived its deadline")
        self.assertEqual(after, [], "the pool did not recover")
        self.check_writes(load, "slow postgres")


if __name__ == "__main__":
    unittest.main()
