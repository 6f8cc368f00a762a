#pragma once

// Each HTTP worker's own gateway: upstream connections on the worker's event
// loop and a GatewayHandler over them (no state shared between workers, so
// no locks on the request path).

#include <map>
#include <string>

#include "services/gateway/gateway_handler.h"
#include "services/gateway/http_server.h"
#include "services/gateway/transcoding/transcoder_config.h"

namespace todo::gateway {

// `routes` must outlive the server; `upstreams` maps service full names to
// "host:port".
HttpServer::HandlerFactory GatewayWorkers(const transcoding::TranscoderConfig* routes,
                                          std::map<std::string, std::string> upstreams,
                                          GatewayOptions options,
                                          ChannelOptions upstream_options = {});

}  // namespace todo::gateway
