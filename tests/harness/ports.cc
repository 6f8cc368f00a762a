#include "tests/harness/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>

namespace todo::testing {
namespace {

// The lowest port connect() and bind(0) pick on their own.
int EphemeralRangeStart() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (range >> low >> high) return low;
  return 32768;
}

// `port` once bound on loopback (0: the kernel's choice), or 0.
int BindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(address);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    bound = ntohs(address.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

int FreeLoopbackPort() {
  const int ceiling = EphemeralRangeStart();
  const int floor = std::max(1024, ceiling / 2);
  if (ceiling > floor) {
    std::random_device seed;
    std::mt19937 random(seed());
    std::uniform_int_distribution<int> below_range(floor, ceiling - 1);
    for (int attempt = 0; attempt < 64; ++attempt) {
      if (const int port = BindLoopback(below_range(random)); port != 0) return port;
    }
  }
  return BindLoopback(0);
}

}  // namespace todo::testing
