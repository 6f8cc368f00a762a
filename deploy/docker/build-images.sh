#!/usr/bin/env bash
# Builds the four runtime images (todo-auth, todo-tasks, todo-chat,
# todo-gateway) from deploy/docker/Dockerfile, one shared build stage, and
# prints their sizes. With --minikube, also loads them into Minikube.
#
#   deploy/docker/build-images.sh [--minikube]      (as root, or in the docker group)
#
# TAG (default: the project's version) names the images; builds and
# package downloads use the host network, as nothing else is reachable.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$(sed -n 's/^project(todo_grpc VERSION \([0-9.]*\).*/\1/p' "$REPO_ROOT/CMakeLists.txt")
TAG=${TAG:-$VERSION}
REVISION=$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Debian's docker.io has no buildx: its classic builder does multi-stage
# builds and --network host alike.
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
declare -A PORTS=([auth]=50051 [tasks]=50052 [chat]=50053 [gateway]=8080)

"$REPO_ROOT/deploy/docker/base-images.sh"
# The web app is static files the same on every platform: bundled here, on
# the host (web/build.sh, which has npm), and copied in, so the image's
# build stage needs neither node nor the npm registry.
"$REPO_ROOT/web/build.sh" "$REPO_ROOT/deploy/docker/web-dist" >/dev/null
for service in auth tasks chat gateway; do
  echo "build-images: todo-$service:$TAG"
  docker build --network host -q -f "$REPO_ROOT/deploy/docker/Dockerfile" --target runtime \
    --build-arg "SERVICE=$service" --build-arg "PORT=${PORTS[$service]}" \
    --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" \
    -t "todo-$service:$TAG" "$REPO_ROOT" >/dev/null
done
for service in auth tasks chat gateway; do
  bytes=$(docker image inspect -f '{{.Size}}' "todo-$service:$TAG")
  printf 'build-images: todo-%-8s %s  %d MB\n' "$service" "$TAG" $((bytes / 1000000))
done
if [[ ${1:-} == --minikube ]]; then
  for service in auth tasks chat gateway; do
    minikube image load "todo-$service:$TAG"
  done
fi
