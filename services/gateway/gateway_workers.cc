#include "services/gateway/gateway_workers.h"

#include <memory>
#include <utility>

namespace todo::gateway {
namespace {

struct WorkerGateway {
  WorkerGateway(boost::asio::io_context& io, const transcoding::TranscoderConfig* routes,
                const std::map<std::string, std::string>& addresses, const GatewayOptions& options,
                const ChannelOptions& upstream_options)
      : upstreams(io, addresses, upstream_options), handler(routes, &upstreams, options) {}

  Upstreams upstreams;
  GatewayHandler handler;
};

}  // namespace

HttpServer::HandlerFactory GatewayWorkers(const transcoding::TranscoderConfig* routes,
                                          std::map<std::string, std::string> upstreams,
                                          GatewayOptions options, ChannelOptions upstream_options) {
  return [routes, upstreams = std::move(upstreams), options = std::move(options),
          upstream_options](boost::asio::io_context& io) {
    auto gateway =
        std::make_shared<WorkerGateway>(io, routes, upstreams, options, upstream_options);
    HttpServer::WorkerHandler worker;
    WorkerGateway* const raw = gateway.get();
    worker.handle = [raw](HttpRequest request, std::shared_ptr<ResponseWriter> writer) {
      raw->handler.Handle(std::move(request), std::move(writer));
    };
    worker.stop = [raw] { raw->upstreams.Close(); };
    worker.keep = std::move(gateway);
    return worker;
  };
}

}  // namespace todo::gateway
