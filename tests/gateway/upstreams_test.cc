// The gateway's upstreams: services at one address share one channel.

#include "services/gateway/upstreams.h"

#include <boost/asio/io_context.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/recording_upstream.h"

namespace todo::gateway {
namespace {

using ::testing::ElementsAre;

TEST(UpstreamsTest, ServicesAtOneAddressShareOneChannel) {
  boost::asio::io_context io;
  todo::testing::RecordingUpstream server;
  Upstreams upstreams(io, {{"a.v1.A", server.target()}, {"b.v1.B", server.target()}});
  EXPECT_EQ(upstreams.For("a.v1.A"), upstreams.For("b.v1.B"));
  EXPECT_EQ(upstreams.For("c.v1.C"), nullptr);
  EXPECT_THAT(upstreams.services(), ElementsAre("a.v1.A", "b.v1.B"));
  upstreams.Close();
}

}  // namespace
}  // namespace todo::gateway
