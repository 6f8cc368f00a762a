#!/usr/bin/env python3
"""Load report: the whole suite under a realistic mix, through the gateway.

Starts Postgres, todo-auth, todo-tasks, todo-chat (built-in assistant) and
todo-gateway on loopback (tests/attack/stack.py), first with one replica of
each backend, then with --replicas copies behind the gateway's address
lists, and drives the same mix through the gateway for the same time in
both: reads (list a page, get one task), searches, writes (create with an
X-Request-Id, complete, update) and chat turns (add a task, list tasks) in
conversations that go on. Each connection is one browser tab of one user,
HTTP/1.1 with keep-alive, one request at a time.

Prints throughput, p50 and p99 per operation and the resident memory of
every process (now and peak; Postgres as the proportional share of all its
processes) for both runs side by side. Exits 1 if any answer was not 2xx.

    bench/load_report.py [--seconds 20] [--replicas 2] [--connections 32] [--build build/ci]

The client is one Python process on the same host: its CPU share is printed
too, since on a small machine it competes with the services it measures.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "attack"))
from stack import Stack, json_request, sign_up  # noqa: E402  (the one stack helper)

# operation: share of the requests (percent)
MIX = {"list": 30, "get": 20, "search": 10, "create": 15, "complete": 8, "update": 7, "chat": 10}
WORDS = ["groceries", "invoice", "dentist", "report", "garden", "flight", "meeting", "laundry"]
CHAT_LINES = ["add {word} {n} tomorrow at 5pm", "show my tasks", "what's due this week?",
              "add {word} {n} next friday, high priority"]
SEEDED_TASKS = 30
BINARIES = {"AUTH": "services/auth/todo-auth", "TASKS": "services/tasks/todo-tasks",
            "CHAT": "services/chat/todo-chat", "GATEWAY": "services/gateway/todo-gateway"}


class Tab:
    """One keep-alive HTTP/1.1 connection of one user."""

    def __init__(self, port, user):
        self.port, self.user = port, user
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {path} HTTP/1.1", "Host: load", f"Authorization: Bearer {self.user.token}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        try:
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            fields = {}
            for line in head.decode("latin-1").split("\r\n")[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    fields[name.strip().lower()] = value.strip()
            if fields.get("transfer-encoding") == "chunked":
                data = b""
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    chunk = await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
                    data += chunk[:-2]
            else:
                data = await self.reader.readexactly(int(fields.get("content-length", "0")))
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status, data
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            return 0, b""

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class User:
    def __init__(self, token):
        self.token = token
        self.task_ids = []
        self.conversation = None
        self.turns = 0


async def operate(tab, operation, rng):
    """One request of the mix; its HTTP status."""
    user = tab.user
    if operation == "list":
        return (await tab.request("GET", "/v1/tasks?page_size=20"))[0]
    if operation == "search":
        return (await tab.request("GET", f"/v1/tasks?q={rng.choice(WORDS)}&page_size=20"))[0]
    if operation == "get":
        return (await tab.request("GET", f"/v1/tasks/{rng.choice(user.task_ids)}"))[0]
    if operation == "create":
        status, data = await tab.request(
            "POST", "/v1/tasks",
            {"title": f"{rng.choice(WORDS)} {rng.randrange(10**6)}", "priority": "medium",
             "tags": [rng.choice(["home", "work"])]},
            {"X-Request-Id": uuid.uuid4().hex})
        if status == 200:
            user.task_ids.append(json.loads(data)["id"])
        return status
    if operation == "complete":
        return (await tab.request("POST", f"/v1/tasks/{rng.choice(user.task_ids)}:complete",
                                  {}))[0]
    if operation == "update":
        return (await tab.request("PATCH", f"/v1/tasks/{rng.choice(user.task_ids)}",
                                  {"priority": rng.choice(["low", "medium", "high"])}))[0]
    # chat: a conversation goes on for 20 turns, then a new one starts.
    body = {"message": rng.choice(CHAT_LINES).format(word=rng.choice(WORDS),
                                                     n=rng.randrange(1000))}
    if user.conversation and user.turns < 20:
        body["conversation_id"] = user.conversation
    status, data = await tab.request("POST", "/v1/chat", body)
    if status == 200:
        conversation = json.loads(data)["conversation_id"]
        user.turns = user.turns + 1 if conversation == user.conversation else 1
        user.conversation = conversation
    return status


async def drive(port, users, connections, warmup, seconds):
    """Runs the mix; {operation: ([latency s], errors)} over the measured part."""
    operations = list(MIX)
    weights = [MIX[o] for o in operations]
    results = {o: ([], 0) for o in operations}
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def tab_loop(n):
        rng = random.Random(n)
        tab = Tab(port, users[n % len(users)])
        while True:
            operation = rng.choices(operations, weights)[0]
            began = time.monotonic()
            if began >= stop_at:
                break
            status = await operate(tab, operation, rng)
            if began >= measure_from:
                latencies, errors = results[operation]
                latencies.append(time.monotonic() - began)
                if not 200 <= status < 300:
                    results[operation] = (latencies, errors + 1)
        tab.close()

    await asyncio.gather(*(tab_loop(n) for n in range(connections)))
    return results


def memory_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def postgres_pss_kb(stack):
    """The proportional set size of the postmaster and all its processes."""
    with open(os.path.join(stack.pg.data, "postmaster.pid")) as pid_file:
        postmaster = int(pid_file.readline())
    pids = [postmaster] + [int(p) for p in os.listdir("/proc") if p.isdigit()
                           and memory_kb(int(p), "PPid") == postmaster]
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                total += sum(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except OSError:
            pass
    return total


def run(replicas, args):
    stack = Stack(with_chat=True, replicas=replicas,
                  extra_env={"all": {"LOG_LEVEL": "warning"},
                             # The mix signs up its users once, at the start.
                             "gateway": {"SIGN_IN_RATE_PER_MINUTE": "10000",
                                         "SIGN_IN_BURST": "10000"}})
    try:
        users = []
        for n in range(max(1, args.connections // 2)):  # two tabs per user
            token, _, _ = sign_up(stack)
            user = User(token)
            for i in range(SEEDED_TASKS):
                status, _, task = json_request(
                    stack, "POST", "/v1/tasks",
                    {"title": f"{WORDS[(n + i) % len(WORDS)]} {i}",
                     "description": f"seeded task {i} of user {n}"}, token)
                if status != 200:
                    raise RuntimeError(f"seeding failed: {status} {task}")
                user.task_ids.append(task["id"])
            users.append(user)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        results = asyncio.run(drive(stack.http_port, users, args.connections, args.warmup,
                                    args.seconds))
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime -
                      cpu_before.ru_stime) / (args.warmup + args.seconds)
        memory = {name: (memory_kb(s.process.pid, "VmRSS"), memory_kb(s.process.pid, "VmHWM"))
                  for name, s in stack.services.items()}
        memory["postgres (PSS, all processes)"] = (postgres_pss_kb(stack), None)
        return results, memory, client_cpu
    finally:
        stack.stop()


def percentile(samples, fraction):
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(runs, args):
    labels = [f"{r} replica{'s' if r > 1 else ''}" for r in runs]
    print(f"\nload report: {args.connections} connections (2 per user), "
          f"{args.seconds:g} s measured after {args.warmup:g} s warm-up, mix "
          + ", ".join(f"{o} {w}%" for o, w in MIX.items()))
    header = f"{'operation':<10}" + "".join(
        f" | {label:^33}" for label in labels)
    print(header)
    print(f"{'':<10}" + " | {:>8} {:>7} {:>7} {:>7}".format("req/s", "p50 ms", "p99 ms",
                                                              "errors") * len(runs))
    failed = 0
    for operation in list(MIX) + ["all"]:
        row = f"{operation:<10}"
        for replicas in runs:
            results = runs[replicas][0]
            if operation == "all":
                latencies = [x for lat, _ in results.values() for x in lat]
                errors = sum(e for _, e in results.values())
            else:
                latencies, errors = results[operation]
            failed += errors if operation != "all" else 0
            row += " | {:>8.0f} {:>7.2f} {:>7.2f} {:>7d}".format(
                len(latencies) / args.seconds, 1000 * percentile(latencies, 0.5),
                1000 * percentile(latencies, 0.99), errors)
        print(row)
    print("\nresident memory, MB now / peak")
    for replicas in runs:
        memory, client_cpu = runs[replicas][1], runs[replicas][2]
        print(f"  {replicas} replica{'s' if replicas > 1 else ''}:")
        for name, (now, peak) in memory.items():
            peak_text = f" / {peak / 1024:.1f}" if peak is not None else ""
            print(f"    {name:<32} {now / 1024:6.1f}{peak_text}")
        print(f"    load client CPU: {100 * client_cpu:.0f}% of one core")
    print(f"\nhost: {os.cpu_count()} CPUs; replicas share them, so more replicas add "
          "availability here, not throughput")
    return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--build", default=os.path.join(HERE, "..", "build", "ci"))
    args = parser.parse_args()
    for name, path in BINARIES.items():
        os.environ.setdefault(f"TODO_{name}_BIN", os.path.join(args.build, path))
        if not os.access(os.environ[f"TODO_{name}_BIN"], os.X_OK):
            sys.exit(f"no {os.environ[f'TODO_{name}_BIN']}: build first (cmake --build --preset ci)")
    runs = {}
    for replicas in sorted({1, args.replicas}):
        runs[replicas] = run(replicas, args)
    failed = report(runs, args)
    if failed:
        print(f"\n{failed} answers were not 2xx", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
