#pragma once

// grpc.health.v1.Health (Check, Watch) on a GrpcLoopServer, answered from
// the same HealthService the grpc++ servers use (common/server).

#include "common/grpc_loop/grpc_loop_server.h"
#include "common/grpc_loop/methods.h"
#include "common/server/health_service.h"

namespace todo::common::grpc_loop {

// Adds Check (answered on the loop) and Watch (a stream thread each) to
// `methods`. `health` and `streams` must outlive the server.
void AddHealthMethods(server::HealthService* health, StreamThreads* streams, MethodTable* methods);

}  // namespace todo::common::grpc_loop
