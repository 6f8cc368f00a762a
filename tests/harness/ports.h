#pragma once

namespace todo::testing {

// A TCP port on 127.0.0.1 that was free a moment ago, for servers that must
// be told a port up front (Postgres, a child process). Drawn below the
// kernel's ephemeral range: a port from bind(0) lies inside it, where any
// process's next outgoing connection may take it before the server binds it.
// Another test's server still can; callers retry.
int FreeLoopbackPort();

}  // namespace todo::testing
