"""The running suite as an outsider meets it: a throwaway Postgres, the real
todo-auth, todo-tasks and todo-gateway binaries on free loopback ports, and
small raw clients (HTTP/1.1 over a plain socket, so malformed requests reach
the server exactly as written).

The binaries come from the environment (ctest sets TODO_AUTH_BIN,
TODO_TASKS_BIN, TODO_GATEWAY_BIN, and TODO_CHAT_BIN for a stack with chat); extra variables for a service can be given
per test class.
"""

import ctypes
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

SECRET = "attack-suite-secret-0123456789abcdefghijklmnop"
PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                     "grpc_probe.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql)")
    return dirs[-1]


class Postgres:
    """initdb + pg_ctl on a free port; as `postgres` when run as root."""

    def __init__(self):
        self.bin = _pg_bin()
        self.root = tempfile.mkdtemp(prefix="todo-attack-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                   "--locale=C.UTF-8"])
        self.options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c max_connections=200")
        self.resume()
        self.psql("CREATE DATABASE todo")
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/todo"

    def _run(self, argv):
        subprocess.run(self._as + [os.path.join(self.bin, argv[0])] + argv[1:], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, sql, database="postgres"):
        out = subprocess.run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", "postgres", "-d", database, "-Atqc", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def pause(self):
        """Stops the server (fast: open sessions are cut), keeping its data."""
        self._run(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def resume(self):
        self._run(["pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"), "-w", "-t",
                   "60", "-o", self.options, "start"])

    def stop(self):
        subprocess.run(self._as + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m",
                                   "immediate", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)


def _end_with_parent():
    """In the child: SIGTERM when the test process dies (a ctest time-out)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Service:
    def __init__(self, name, binary, env, log_dir):
        self.name = name
        self.binary = binary
        self.env = env
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.start()

    def start(self):
        self.process = subprocess.Popen([self.binary], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, preexec_fn=_end_with_parent)

    def log_text(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def terminate(self, timeout=15):
        """SIGTERM and wait; the exit status (SIGKILL after `timeout`)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def stop(self):
        self.terminate()
        self.log.close()


def address_list(ports):
    """A caller's address for these loopback ports: gRPC's list form for several."""
    if len(ports) == 1:
        return f"127.0.0.1:{ports[0]}"
    return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)


class Stack:
    """Postgres + auth + tasks (+ chat) + gateway, each a real process; with
    `replicas` > 1, that many copies of each backend ("tasks-0", "tasks-1")
    behind the callers' address lists, as a headless Service gives them."""

    def __init__(self, extra_env=None, with_chat=False, replicas=1):
        extra_env = extra_env or {}
        self.with_chat = with_chat
        self.log_dir = tempfile.mkdtemp(prefix="todo-attack-logs-")
        self.pg = Postgres()
        self.backends = ["auth", "tasks"] + (["chat"] if with_chat else [])
        self.ports = {name: [free_port() for _ in range(replicas)] for name in self.backends}
        self.auth_port, self.tasks_port = self.ports["auth"][0], self.ports["tasks"][0]
        self.chat_port = self.ports["chat"][0] if with_chat else free_port()
        self.http_port = free_port()
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.pg.dsn,
            "BETTER_AUTH_SECRET": SECRET,
            "LISTEN_ADDRESS": "127.0.0.1",
            "LOG_LEVEL": "info",
        }
        for name in self.backends:
            base[f"{name.upper()}_ADDR"] = address_list(self.ports[name])
        self.services = {}
        try:
            for name in self.backends:
                for i, port in enumerate(self.ports[name]):
                    key = name if replicas == 1 else f"{name}-{i}"
                    env = dict(base, **extra_env.get("all", {}), **extra_env.get(name, {}))
                    env["GRPC_PORT"] = str(port)
                    self.services[key] = Service(key, os.environ[f"TODO_{name.upper()}_BIN"],
                                                 env, self.log_dir)
            # Each gateway worker dials the services when it starts: they
            # answer first, so no worker begins in back-off.
            self._wait_serving()
            env = dict(base, **extra_env.get("all", {}), **extra_env.get("gateway", {}))
            env["HTTP_PORT"] = str(self.http_port)
            if not with_chat:
                # No chat service here: the gateway reports it absent.
                env["CHAT_ADDR"] = f"127.0.0.1:{self.chat_port}"
            self.services["gateway"] = Service("gateway", os.environ["TODO_GATEWAY_BIN"], env,
                                               self.log_dir)
            self._wait_ready()
        except Exception:
            self.stop()
            raise

    def _wait_serving(self):
        for name in self.backends:
            for port in self.ports[name]:
                self.wait_serving(port)

    def wait_serving(self, port, service="", seconds=60):
        subprocess.run([PROBE, f"127.0.0.1:{port}", "health", service, "--wait", str(seconds)],
                       check=True, stdout=subprocess.DEVNULL)

    def _wait_ready(self):
        deadline = time.time() + 60
        while time.time() < deadline:
            for service in self.services.values():
                if service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited: {service.log_text()[-2000:]}")
            try:
                _, _, body = request(self, "GET", "/ready")
                # Without chat, only auth and tasks must serve.
                services = json.loads(body)["services"]
                if all(state == "SERVING" for name, state in services.items()
                       if self.with_chat or "chat" not in name.lower()):
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise RuntimeError("the stack did not become ready in 60 s")

    def logs(self):
        return {name: s.log_text() for name, s in self.services.items()}

    def stop(self):
        for service in reversed(list(self.services.values())):
            service.stop()
        self.pg.stop()
        shutil.rmtree(self.log_dir, ignore_errors=True)


# --- raw HTTP/1.1 -------------------------------------------------------------------------

def read_response(sock, timeout=15):
    """Reads one HTTP/1.1 response: (status, headers dict with lower-case names, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), value.strip())
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed inside a chunked body")
                rest += chunk
            size_line, rest = rest.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed inside a chunk")
                rest += chunk
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2:]
        return status, headers, body
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside the body")
        rest += chunk
    return status, headers, rest[:length]


def connect(stack):
    return socket.create_connection(("127.0.0.1", stack.http_port), timeout=15)


def request(stack, method, path, body=None, token=None, headers=None):
    """One request on a new connection; body may be a dict (sent as JSON) or bytes."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    body = body or b""
    lines = [f"{method} {path} HTTP/1.1", "Host: attack.test", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with connect(stack) as sock:
        sock.sendall(raw)
        return read_response(sock)


def json_request(stack, method, path, body=None, token=None, headers=None):
    status, response_headers, raw = request(stack, method, path, body, token, headers)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw
    return status, response_headers, parsed


def sign_up(stack, email=None, password="correct horse battery"):
    email = email or f"u{uuid.uuid4().hex[:12]}@example.com"
    status, _, body = json_request(stack, "POST", "/v1/auth/sign-up",
                                   {"email": email, "password": password, "name": "Attack"})
    if status != 200:
        raise AssertionError(f"sign-up failed: {status} {body}")
    return body["access_token"], body["user"]["id"], email
