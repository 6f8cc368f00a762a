#pragma once

// What todo-probe asks: a gRPC service's grpc.health.v1 status, or an HTTP
// route's answer. Used by the images' HEALTHCHECK and the chart's `helm
// test` pod, which have no curl and no grpcurl.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace todo::probe {

// OK when `target` ("host:port") answers grpc.health.v1.Health/Check for
// `service` with SERVING; otherwise why not (the status it reported, or the
// call's error).
absl::Status CheckGrpcHealth(const std::string& target, const std::string& service,
                             absl::Duration timeout);

// OK when GET `url` answers 2xx; otherwise its status line or the error.
absl::Status CheckHttp(const std::string& url, absl::Duration timeout);

}  // namespace todo::probe
