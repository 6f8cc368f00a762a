#!/usr/bin/env bash
# Builds the grpc-gateway (Go) peer of bench/gateway_bench, offline, from
# Debian's Go packages in GOPATH mode:
#   build.sh <output binary> <work dir> <our proto root> <googleapis root>
# Needs golang-go, golang-grpc-gateway, golang-goprotobuf-dev,
# golang-google-grpc-dev, golang-github-grpc-ecosystem-grpc-gateway-dev
# (scripts/setup.sh --bench installs them).
set -euo pipefail
output=$1 work=$2 protos=$3 googleapis=$4
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$output" "$work/src" "$work/protos"
mkdir -p "$work/src/peer" "$work/protos/todo/tasks/v1"
# Debian's protoc-gen-go (1.3.5) predates proto3 `optional`. Those fields are
# the same on the wire without the keyword; only presence tracking on update
# requests differs, which the GetTask comparison does not touch.
sed -E 's/^(\s*)optional /\1/' "$protos/todo/tasks/v1/tasks.proto" \
  >"$work/protos/todo/tasks/v1/tasks.proto"

mappings=(
  Mgoogle/api/annotations.proto=google.golang.org/genproto/googleapis/api/annotations
  Mgoogle/api/http.proto=google.golang.org/genproto/googleapis/api/annotations
  Mgoogle/protobuf/empty.proto=github.com/golang/protobuf/ptypes/empty
  Mgoogle/protobuf/timestamp.proto=github.com/golang/protobuf/ptypes/timestamp
  Mgoogle/protobuf/field_mask.proto=google.golang.org/genproto/protobuf/field_mask
  Mtodo/tasks/v1/tasks.proto=todo/tasks/v1
)
options=$(IFS=,; echo "${mappings[*]}")
protoc -I"$work/protos" -I"$googleapis" -I/usr/include \
  --go_out="plugins=grpc,$options:$work/src" \
  --grpc-gateway_out="$options:$work/src" \
  todo/tasks/v1/tasks.proto
cp "$here/main.go" "$work/src/peer/main.go"
cd "$work"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" GOFLAGS= \
  go build -o "$output" peer
