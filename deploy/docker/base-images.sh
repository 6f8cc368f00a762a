#!/usr/bin/env bash
# Makes the base images the Dockerfile starts from, when Docker does not
# have them yet: no registry is reachable, so `debian:bookworm` and
# `debian:bookworm-slim` are a minimal Debian 12 made by debootstrap from the
# machine's own apt mirror and `docker import`ed under those tags. Where a
# registry is reachable, `docker pull debian:bookworm-slim` does as well.
#
#   deploy/docker/base-images.sh            (as root; needs debootstrap)
set -euo pipefail

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAGS=(debian:bookworm debian:bookworm-slim)

missing=0
for tag in "${TAGS[@]}"; do
  docker image inspect "$tag" >/dev/null 2>&1 || missing=1
done
((missing)) || exit 0

if ! command -v debootstrap >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
rootfs=$(mktemp -d /tmp/todo-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "base-images: debootstrap --variant=minbase bookworm from $MIRROR"
debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >/dev/null
# The point releases and security fixes the build machine has, so the
# runtime libraries match the ones the binaries were built against.
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
# As the official images do: no documentation, no package caches.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar -C "$rootfs" -c . | docker import - "${TAGS[0]}" >/dev/null
for tag in "${TAGS[@]:1}"; do
  docker tag "${TAGS[0]}" "$tag"
done
docker image ls debian
