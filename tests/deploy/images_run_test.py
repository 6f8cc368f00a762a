"""The images run as the chart says (deploy/README.md, check 4).

Builds the four images, renders the chart for a throwaway Postgres on
loopback, and starts each container with what its rendered Deployment says:
environment (ConfigMap and Secret included), port, user and group, a
read-only root filesystem, all capabilities dropped, no privilege escalation.
Host networking only; the cluster DNS names the ConfigMap gives the callers
are mapped to 127.0.0.1. Then: every backend SERVING (liveness and its own
readiness name), the images' HEALTHCHECKs healthy, the gateway's /ready 200,
a sign-up, a task and a chat turn through the gateway, and each container
stopping with status 0 within its grace period on SIGTERM.
"""
import base64
import json
import os
import secrets
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "attack"))
from stack import Postgres, free_port  # noqa: E402  (one throwaway-Postgres helper)

COMPONENTS = ["auth", "tasks", "chat", "gateway"]
RUN_ID = f"todo-images-test-{os.getpid()}"


def run(argv, **kwargs):
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        # What failed, in the test's log (a build's last lines say why).
        raise RuntimeError(f"{' '.join(argv[:3])} exited {done.returncode}:\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def ensure_docker():
    """Starts Debian's dockerd when no engine answers (root only)."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode == 0:
        return
    if os.geteuid() != 0:
        raise RuntimeError("no Docker engine answers and only root may start one")
    log = open(os.path.join("/tmp", "todo-dockerd.log"), "ab")
    subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + 60
    while subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        if time.time() > deadline:
            raise RuntimeError("dockerd did not start; see /tmp/todo-dockerd.log")
        time.sleep(1)


def render(values):
    helm = run([os.path.join(REPO, "deploy", "helm", "fetch-helm.sh"), "3"]).strip()
    argv = [helm, "template", "todo", os.path.join(REPO, "deploy", "helm", "todo-grpc"),
            "--namespace", "todo"]
    for key, value in values.items():
        if isinstance(value, str):
            argv += ["--set-string", f"{key}={value}"]
        else:
            argv += ["--set", f"{key}={json.dumps(value)}"]
    manifest = run(argv)
    # The yaml package the chart checks use, rather than a second parser.
    to_json = ("const YAML=require('yaml');let s='';process.stdin.on('data',d=>s+=d)"
               ".on('end',()=>console.log(JSON.stringify(YAML.parseAllDocuments(s)"
               ".map(d=>d.toJS()).filter(Boolean))))")
    return json.loads(run(["node", "-e", to_json], input=manifest, cwd=REPO))


def http(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class ImagesRunAsTheChartSays(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ensure_docker()
        started = time.time()
        run([os.path.join(REPO, "deploy", "docker", "build-images.sh")])
        print(f"images built in {time.time() - started:.0f} s", file=sys.stderr)
        cls.postgres = Postgres()
        cls.ports = {name: free_port() for name in COMPONENTS}
        values = {
            "secrets.databaseUrl": cls.postgres.dsn,
            "secrets.betterAuthSecret": secrets.token_hex(24),
            "postgresql.enabled": False,
        }
        for name, port in cls.ports.items():
            values[f"{name}.containerPort"] = port
            values[f"{name}.metricsPort"] = free_port()
        cls.objects = render(values)
        cls.containers = []

    @classmethod
    def tearDownClass(cls):
        for container in cls.containers:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True)
        cls.postgres.stop()

    def object(self, kind, name_suffix):
        return next(o for o in self.objects
                    if o["kind"] == kind and o["metadata"]["name"].endswith(name_suffix))

    def docker_run_argv(self, component):
        deployment = self.object("Deployment", f"-{component}")
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        security = container["securityContext"]
        config = {}
        for source in container.get("envFrom", []):
            config.update(self.object("ConfigMap", source["configMapRef"]["name"])["data"])
        env = dict(config)
        for variable in container.get("env", []):
            if "value" in variable:
                env[variable["name"]] = variable["value"]
                continue
            ref = variable["valueFrom"]["secretKeyRef"]
            data = self.object("Secret", ref["name"])["data"]
            if ref["key"] in data:
                env[variable["name"]] = base64.b64decode(data[ref["key"]]).decode()
            elif not ref.get("optional"):
                self.fail(f"{component}: secret key {ref['key']} is missing")
        argv = ["docker", "run", "-d", "--name", f"{RUN_ID}-{component}", "--network", "host",
                "--user", f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"]
        if security.get("readOnlyRootFilesystem"):
            argv.append("--read-only")
        for capability in security.get("capabilities", {}).get("drop", []):
            argv += ["--cap-drop", capability]
        if security.get("allowPrivilegeEscalation") is False:
            argv += ["--security-opt", "no-new-privileges"]
        # The cluster DNS names the callers are given, here on loopback.
        for key in ("AUTH_ADDR", "TASKS_ADDR", "CHAT_ADDR"):
            argv += ["--add-host", f"{config[key].rsplit(':', 1)[0]}:127.0.0.1"]
        for key, value in sorted(env.items()):
            argv += ["--env", f"{key}={value}"]
        argv.append(container["image"])
        return argv, container, pod

    def test_the_suite_runs_under_the_charts_settings(self):
        specs = {}
        for component in COMPONENTS:
            argv, container, pod = self.docker_run_argv(component)
            run(argv)
            self.containers.append(f"{RUN_ID}-{component}")
            specs[component] = (container, pod)

        # Each backend serves its liveness and its readiness name (what the
        # chart's probes ask), checked with the image's own probe.
        for component in ["auth", "tasks", "chat"]:
            container, _ = specs[component]
            for probe in ("livenessProbe", "readinessProbe"):
                grpc = container[probe]["grpc"]
                self.wait_until(lambda: subprocess.run(
                    ["docker", "exec", f"{RUN_ID}-{component}", "todo-probe", "grpc",
                     f"127.0.0.1:{grpc['port']}", grpc["service"]],
                    capture_output=True).returncode == 0, f"{component} {probe}")
        gateway = f"http://127.0.0.1:{self.ports['gateway']}"
        self.wait_until(lambda: http("GET", f"{gateway}/ready")[0] == 200, "gateway /ready")

        status, signed_up = http("POST", f"{gateway}/v1/auth/sign-up",
                                 {"email": "ada@example.com", "password": "correct horse battery",
                                  "name": "Ada"})
        self.assertEqual(status, 200, signed_up)
        token = signed_up["access_token"]
        status, task = http("POST", f"{gateway}/v1/tasks", {"title": "Water the plants"}, token)
        self.assertEqual(status, 200, task)
        status, turn = http("POST", f"{gateway}/v1/chat", {"message": "add buy milk tomorrow"}, token)
        self.assertEqual(status, 200, turn)
        self.assertEqual(turn["tool_calls"][0]["tool"], "add_task", turn)
        status, listed = http("GET", f"{gateway}/v1/tasks", token=token)
        self.assertEqual(status, 200, listed)
        titles = sorted(t["title"].lower() for t in listed["tasks"])
        self.assertEqual(titles, ["buy milk", "water the plants"], listed)
        # The gateway image carries the web app and serves it at /.
        with urllib.request.urlopen(f"{gateway}/", timeout=15) as page:
            self.assertEqual(page.headers["content-type"], "text/html; charset=utf-8")
            self.assertIn(b'src="/assets/app-', page.read())

        # Each one's Prometheus endpoint, where its pod annotations say.
        for component in COMPONENTS:
            deployment = self.object("Deployment", f"-{component}")
            port = deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as scraped:
                text = scraped.read().decode()
            self.assertIn("http_server_requests_total{" if component == "gateway"
                          else "grpc_server_handled_total{", text, component)
            self.assertIn(f'todo_build_info{{service="todo-{component}"', text)

        # Docker's own HEALTHCHECK (the image's todo-probe) reports healthy.
        for component in COMPONENTS:
            self.wait_until(lambda: run(["docker", "inspect", "-f", "{{.State.Health.Status}}",
                                         f"{RUN_ID}-{component}"]).strip() == "healthy",
                            f"{component} HEALTHCHECK", timeout=40)

        # SIGTERM: each stops by itself with status 0 within its grace.
        for component in ["gateway", "chat", "auth", "tasks"]:
            _, pod = specs[component]
            grace = pod["terminationGracePeriodSeconds"]
            name = f"{RUN_ID}-{component}"
            started = time.time()
            run(["docker", "kill", "--signal", "TERM", name])
            exit_code = run(["docker", "wait", name], timeout=grace + 5).strip()
            took = time.time() - started
            self.assertEqual(exit_code, "0", run(["docker", "logs", name]))
            self.assertLess(took, grace, f"{component} took {took:.1f} s to stop")

    def wait_until(self, condition, what, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if condition():
                return
            time.sleep(0.5)
        logs = "\n".join(subprocess.run(["docker", "logs", c], capture_output=True,
                                        text=True).stderr[-2000:] for c in self.containers)
        self.fail(f"{what} not reached within {timeout} s\n{logs}")


if __name__ == "__main__":
    unittest.main()
