#pragma once

// grpc.testing.TestService as gRPC's interoperability tests expect a server
// to behave (grpc/grpc doc/interop-test-descriptions.md, "Server"), served
// by common/rpc: the fixture every interop client (grpc++, Python grpcio)
// runs its cases against. Messages from Debian's grpc-proto package.

#include "common/rpc/service_server.h"

namespace todo::interop {

// Every method of grpc.testing.TestService (UnimplementedCall answers
// UNIMPLEMENTED, as the description asks); grpc.testing.UnimplementedService
// is left out, so the server answers it UNIMPLEMENTED itself. Streams that
// pause between responses (interval_us) run on `resources.streams`.
common::rpc::MethodTable InteropMethods(const common::rpc::ServerResources& resources);

}  // namespace todo::interop
