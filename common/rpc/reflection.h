#pragma once

// gRPC server reflection (grpc.reflection.v1alpha and v1, which share one
// wire format; messages generated from Debian's grpc-proto) on a Server, so
// grpcurl and the like can list and describe its services from the
// descriptors compiled into the binary. grpc++'s reflection library is not
// linked anywhere (it would register the same messages twice).

#include "common/rpc/server.h"

namespace todo::common::rpc {

// Adds ServerReflectionInfo (both versions) to `methods`. It lists the
// services `methods` holds when it is added (reflection included), so add
// it last.
void AddReflectionMethods(MethodTable* methods);

}  // namespace todo::common::rpc
