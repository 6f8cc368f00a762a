#!/bin/sh
# Run in the image's build stage: lays out what SERVICE's runtime image
# holds under OUT/SERVICE/ (stripped binaries, its health check, the
# gateway's descriptor set) and writes OUT/SERVICE.packages, the Debian
# packages that own the shared libraries those binaries load, so the
# runtime stage installs exactly those.
#
#   stage-service.sh SERVICE BUILD_DIR OUT [WEB_DIR]
#
# WEB_DIR: the built web app the gateway image carries (default: the one the
# build made beside todo-gateway).
set -eu
service=$1
build=$2
root=$3/$service
web=${4:-$build/services/gateway/web}

mkdir -p "$root/usr/local/bin"
for binary in "$build/services/$service/todo-$service" "$build/services/probe/todo-probe"; do
  strip --strip-unneeded -o "$root/usr/local/bin/$(basename "$binary")" "$binary"
done

# The services' default ports (api.md), for a container that sets none.
case $service in
  auth) probe='todo-probe grpc "127.0.0.1:${GRPC_PORT:-50051}"' ;;
  tasks) probe='todo-probe grpc "127.0.0.1:${GRPC_PORT:-50052}"' ;;
  chat) probe='todo-probe grpc "127.0.0.1:${GRPC_PORT:-50053}"' ;;
  gateway)
    mkdir -p "$root/usr/local/share/todo-grpc"
    cp "$build/api_descriptor_set.pb" "$root/usr/local/share/todo-grpc/"
    # The web app, where todo-gateway looks by default (../share/todo-grpc/web).
    cp -r "$web" "$root/usr/local/share/todo-grpc/web"
    probe='todo-probe http "http://127.0.0.1:${HTTP_PORT:-8080}/health"'
    ;;
  *) echo "stage-service: unknown service $service" >&2; exit 2 ;;
esac
# The image's HEALTHCHECK and ENTRYPOINT: the port comes from the
# container's environment, which exec-form instructions cannot read.
cat >"$root/usr/local/bin/todo-healthcheck" <<SCRIPT
#!/bin/sh
exec $probe
SCRIPT
cat >"$root/usr/local/bin/todo-entrypoint" <<SCRIPT
#!/bin/sh
exec /usr/local/bin/todo-$service "\$@"
SCRIPT
chmod 755 "$root/usr/local/bin/todo-healthcheck" "$root/usr/local/bin/todo-entrypoint"

# dpkg knows a library by the path its package installed, which under
# merged /usr may be the /lib spelling of what ldd resolves.
for binary in "$root"/usr/local/bin/todo-"$service" "$root"/usr/local/bin/todo-probe; do
  ldd "$binary" | awk '/=> \// { print $3 }'
done | sort -u | while read -r library; do
  real=$(readlink -f "$library")
  for path in "$library" "$real" "${real#/usr}"; do
    if owner=$(dpkg -S "$path" 2>/dev/null); then
      echo "${owner%%:*}"
      break
    fi
  done
done | sort -u >"$3/$service.packages"
test -s "$3/$service.packages"
