#!/usr/bin/env bash
# Installs what todo-grpc needs to build, test and run, from Debian 12's
# packages only. Re-runnable: does nothing when everything is there.
set -euo pipefail

# What the release preset needs to compile the services (the image's build
# stage installs only these: `setup.sh --image`; build-images.sh bundles
# the web app on the host).
BUILD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libpq-dev libboost-dev libcurl4-openssl-dev libssl-dev libargon2-dev libnghttp2-dev zlib1g-dev
  golang-github-gogo-googleapis-dev
  libicu-dev prometheus-cpp-dev
)
# Besides: tests, benchmarks, checks and the run command.
PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  ccache git
  npm
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-contrib
  python3 python3-grpcio python3-protobuf
  clang-format nghttp2-client chromium
  docker.io debootstrap
)

# `setup.sh --bench` adds what only the benchmarks use: wrk and the Go
# packages that build bench/grpc_gateway_peer (grpc-gateway v1, offline).
if [[ ${1:-} == --bench ]]; then
  PACKAGES+=(
    wrk golang-go golang-grpc-gateway golang-github-grpc-ecosystem-grpc-gateway-dev
    golang-goprotobuf-dev golang-google-grpc-dev
  )
elif [[ ${1:-} == --image ]]; then
  PACKAGES=("${BUILD_PACKAGES[@]}")
fi

missing=()
for package in "${PACKAGES[@]}"; do
  # A node/npm installed outside Debian (nodesource, nvm) serves as well.
  if [[ $package == npm ]] && command -v npm >/dev/null 2>&1; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian postgresql package starts a cluster of its own on port 5432; we
# never use it (tests and the run command start private servers).
exit 0
