"""The running suite as an outsider meets it: a throwaway Postgres, the real
todo-auth, todo-tasks and todo-gateway binaries on free loopback ports, and
small raw clients (HTTP/1.1 over a plain socket, so malformed requests reach
the server exactly as written).

The binaries come from the environment (ctest sets TODO_AUTH_BIN,
TODO_TASKS_BIN, TODO_GATEWAY_BIN, and TODO_CHAT_BIN for a stack with chat);
extra variables for a service can be given per test class.
"""

import ctypes
import glob
import json
import os
import pwd
import random
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


def _ephemeral_range_start():
    """The lowest port connect() and bind(port 0) pick on their own."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A loopback TCP port free a moment ago, for a server told its port up front.

    Drawn below the ephemeral range: a port from bind(0) lies inside it, where
    any process's next outgoing connection may take it before the server binds
    it (the attack suites' floods did, in CI). Below the range only another
    test's server can, and `Stack` starts a service again on another port then.
    """
    ceiling = _ephemeral_range_start()
    floor = max(1024, ceiling // 2)
    for _ in range(64):
        port = random.randrange(floor, ceiling) if ceiling > floor else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free loopback port in {floor}-{ceiling - 1}")


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
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                   "--locale=C.UTF-8"])
        # The port can be taken between choosing and binding it: try a few.
        for attempt in range(5):
            self.port = free_port()
            self.options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                            "-c fsync=off -c max_connections=200")
            try:
                self.resume()
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
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


def _listens_on(pid, port):
    """Whether process `pid` holds a TCP socket listening on `port`. (Connecting
    would not tell: another test's server on that port answers as well.)"""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in list(f)[1:]:
                fields = line.split()  # sl local_address rem_address st ... inode
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    listening.add(f"socket:[{fields[9]}]")
    if not listening:
        return False
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return False  # exited: the caller sees it
    for fd in fds:
        try:
            if os.readlink(os.path.join(fd_dir, fd)) in listening:
                return True
        except OSError:
            pass  # closed meanwhile
    return False


class Service:
    def __init__(self, name, binary, env, log_dir):
        self.name = name
        self.binary = binary
        self.env = env
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.start()

    def start(self):
        self.log.flush()
        self._log_start = os.path.getsize(self.log_path)
        self.process = subprocess.Popen([self.binary], env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, preexec_fn=_end_with_parent)

    def wait_listening(self, port, seconds=60):
        """True once the process listens on `port`; False if it exited because
        the port was taken; raises if it exited otherwise or never listened."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "Address already in use" in self.log_text(this_run=True):
                    return False
                raise RuntimeError(f"{self.name} exited: {self.log_text()[-2000:]}")
            if _listens_on(self.process.pid, port):
                return True
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not listen on {port} in {seconds} s")

    def log_text(self, this_run=False):
        """The log; with `this_run`, only what the latest start wrote."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            if this_run:
                f.seek(self._log_start)
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
        self.ports = {name: [] for name in self.backends}
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DATABASE_URL": self.pg.dsn,
            "BETTER_AUTH_SECRET": SECRET,
            "LISTEN_ADDRESS": "127.0.0.1",
            "LOG_LEVEL": "info",
        }
        self.services = {}
        try:
            # A service's port is known once it listens, so the ones called
            # start first: auth calls tasks and chat, chat calls tasks.
            for name in [name for name in ("tasks", "chat", "auth") if name in self.backends]:
                env = dict(base, **extra_env.get("all", {}), **extra_env.get(name, {}))
                for i in range(replicas):
                    key = name if replicas == 1 else f"{name}-{i}"
                    self.ports[name].append(self._start_listening(
                        key, os.environ[f"TODO_{name.upper()}_BIN"], env, "GRPC_PORT"))
                base[f"{name.upper()}_ADDR"] = address_list(self.ports[name])
            self.auth_port, self.tasks_port = self.ports["auth"][0], self.ports["tasks"][0]
            # Without chat, a port nobody serves: the gateway reports chat absent.
            self.chat_port = self.ports["chat"][0] if with_chat else free_port()
            # Each gateway worker dials the services when it starts: they
            # answer first, so no worker begins in back-off.
            self._wait_serving()
            env = dict(base, **extra_env.get("all", {}), **extra_env.get("gateway", {}))
            if not with_chat:
                env["CHAT_ADDR"] = f"127.0.0.1:{self.chat_port}"
            self.http_port = self._start_listening("gateway", os.environ["TODO_GATEWAY_BIN"],
                                                   env, "HTTP_PORT")
            self._wait_ready()
        except Exception:
            self.stop()
            raise

    def _start_listening(self, key, binary, env, port_variable):
        """Starts `binary` on a free port, and on another if that one was taken
        before the service bound it; the port."""
        for _ in range(5):
            port = free_port()
            service = Service(key, binary, dict(env, **{port_variable: str(port)}),
                              self.log_dir)
            self.services[key] = service
            if service.wait_listening(port):
                return port
            service.log.close()
        raise RuntimeError(f"{key}: each port tried was taken before it bound")

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
