#!/usr/bin/python3
"""Pokes a running todo-grpc service without its protos, as grpcurl would.

  grpc_probe.py HOST:PORT list                     services, via server reflection
  grpc_probe.py HOST:PORT health [SERVICE] [--wait SECONDS]
                                                   grpc.health.v1 Check; with --wait,
                                                   retries until SERVING or time runs out

Exit status: 0 when the call worked (health: SERVING), 1 otherwise, 2 on usage errors.
Uses Debian's python3-grpcio; the reflection and health stubs are generated once
from Debian's grpc-proto with protoc into ~/.cache/todo-grpc-probe.
"""
import os
import subprocess
import sys
import time

GRPC_PROTOS = "/usr/share/grpc-proto"
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                     "todo-grpc-probe")
# Copied under package names of their own: generated modules called grpc.*
# would shadow the grpc library itself.
SOURCES = {
    "grpc/reflection/v1alpha/reflection.proto": "probe_reflection/reflection.proto",
    "grpc/health/v1/health.proto": "probe_health/health.proto",
}


def load_stubs():
    marker = os.path.join(CACHE, "generated")
    if not os.path.exists(marker):
        source_root = os.path.join(CACHE, "src")
        for original, copy in SOURCES.items():
            os.makedirs(os.path.join(source_root, os.path.dirname(copy)), exist_ok=True)
            with open(os.path.join(GRPC_PROTOS, original)) as src, \
                    open(os.path.join(source_root, copy), "w") as dst:
                dst.write(src.read())
        subprocess.check_call(
            ["protoc", "-I", source_root, "--python_out", CACHE, "--grpc_out", CACHE,
             "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", *SOURCES.values()])
        open(marker, "w").close()
    sys.path.insert(0, CACHE)


def list_services(channel):
    from probe_reflection import reflection_pb2, reflection_pb2_grpc
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    for response in stub.ServerReflectionInfo(iter([request]), timeout=10):
        for service in response.list_services_response.service:
            print(service.name)
        return 0
    return 1


def check_health(channel, service, wait_seconds):
    import grpc
    from probe_health import health_pb2, health_pb2_grpc
    stub = health_pb2_grpc.HealthStub(channel)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            status = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=3).status
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(status)
        except grpc.RpcError as error:
            name = error.code().name
        if name == "SERVING" or time.monotonic() >= deadline:
            print(name)
            return 0 if name == "SERVING" else 1
        time.sleep(0.25)


def main(argv):
    if len(argv) < 3 or argv[2] not in ("list", "health"):
        print(__doc__, file=sys.stderr)
        return 2
    load_stubs()
    import grpc
    channel = grpc.insecure_channel(argv[1])
    if argv[2] == "list":
        return list_services(channel)
    rest = argv[3:]
    wait = 0.0
    if "--wait" in rest:
        index = rest.index("--wait")
        wait = float(rest[index + 1])
        del rest[index:index + 2]
    return check_health(channel, rest[0] if rest else "", wait)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
