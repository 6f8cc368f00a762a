#pragma once

// grpc.health.v1.Health (Check, Watch) on a Server, answered from
// the same HealthService the grpc++ servers use (common/server).

#include "common/rpc/health_service.h"
#include "common/rpc/methods.h"
#include "common/rpc/server.h"

namespace todo::common::rpc {

// Adds Check (answered on the loop) and Watch (a stream thread each) to
// `methods`. `health` and `streams` must outlive the server.
void AddHealthMethods(rpc::HealthService* health, StreamThreads* streams, MethodTable* methods);

}  // namespace todo::common::rpc
