#pragma once

namespace todo::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
// it, release it), for servers that must be told a port up front (Postgres,
// a child process). Another process can take it in between; callers retry.
int FreeLoopbackPort();

}  // namespace todo::testing
