#pragma once

// gRPC server reflection (grpc.reflection.v1alpha and v1, which share one
// wire format) on a Server, so grpcurl and the like can list and
// describe its services from the descriptors compiled into the binary.
//
// The messages are encoded by hand: linking generated classes for them
// beside grpc++'s reflection library would register the same message names
// twice in protobuf's generated pool, which aborts at start.

#include "common/rpc/server.h"

namespace todo::common::rpc {

// Adds ServerReflectionInfo (both versions) to `methods`. It lists the
// services `methods` holds when it is added (reflection included), so add
// it last.
void AddReflectionMethods(MethodTable* methods);

}  // namespace todo::common::rpc
