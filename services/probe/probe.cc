#include "services/probe/probe.h"

#include "absl/strings/str_cat.h"
#include "common/event_loops/event_loops.h"
#include "common/http_client/curl_client.h"
#include "common/rpc/blocking_client.h"
#include "grpc/health/v1/health.pb.h"

namespace todo::probe {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

absl::Status CheckGrpcHealth(const std::string& target, const std::string& service,
                             absl::Duration timeout) {
  boost::asio::io_context loop;
  auto work = boost::asio::make_work_guard(loop);
  std::thread runner([&loop] { loop.run(); });
  absl::StatusOr<HealthCheckResponse> response;
  {
    common::rpc::ChannelOptions options;
    options.connect_timeout = timeout;
    options.user_agent = "todo-probe";
    common::rpc::BlockingClient client(loop, target, options);
    HealthCheckRequest request;
    request.set_service(service);
    response =
        client.Call<HealthCheckResponse>("/grpc.health.v1.Health/Check", request, {}, timeout);
  }
  work.reset();
  runner.join();
  if (!response.ok()) return response.status();
  if (response->status() != HealthCheckResponse::SERVING) {
    return absl::UnavailableError(
        absl::StrCat("health of \"", service, "\" is ",
                     HealthCheckResponse::ServingStatus_Name(response->status())));
  }
  return absl::OkStatus();
}

absl::Status CheckHttp(const std::string& url, absl::Duration timeout) {
  common::http_client::HttpRequest request;
  request.url = url;
  request.connect_timeout = timeout;
  request.timeout = timeout;
  request.max_response_bytes = 64 * 1024;
  absl::StatusOr<common::http_client::HttpResponse> response =
      common::http_client::CurlClient().Send(request);
  if (!response.ok()) return response.status();
  if (response->status < 200 || response->status > 299) {
    return absl::UnavailableError(absl::StrCat(url, " answered ", response->status));
  }
  return absl::OkStatus();
}

}  // namespace todo::probe
