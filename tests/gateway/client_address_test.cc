#include "services/gateway/client_address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace todo::gateway {
namespace {

TEST(TrustedProxiesTest, MatchesAddressesAndRangesOfEitherFamily) {
  auto trusted = TrustedProxies::Parse("10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1");
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  EXPECT_TRUE(trusted->Contains("10.200.3.4"));
  EXPECT_TRUE(trusted->Contains("192.168.1.7"));
  EXPECT_FALSE(trusted->Contains("192.168.1.8"));
  EXPECT_TRUE(trusted->Contains("fd12::1"));
  EXPECT_TRUE(trusted->Contains("::1"));
  EXPECT_TRUE(trusted->Contains("::ffff:10.1.1.1"));  // IPv4-mapped
  EXPECT_FALSE(trusted->Contains("11.0.0.1"));
  EXPECT_FALSE(trusted->Contains("not an address"));
}

TEST(TrustedProxiesTest, RefusesWhatDoesNotParse) {
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(TrustedProxies::Parse("proxy.example.com").ok());
  EXPECT_FALSE(TrustedProxies::Parse("10.0.0.1/x").ok());
  EXPECT_TRUE(TrustedProxies::Parse("").ok());
}

TEST(ClientAddressTest, AnUntrustedPeerIsTheClientWhateverItClaims) {
  const TrustedProxies none;
  const std::string claimed = "203.0.113.9";
  EXPECT_EQ(ClientAddress("198.51.100.1", &claimed, none), "198.51.100.1");
  EXPECT_EQ(ClientAddress("198.51.100.1", nullptr, none), "198.51.100.1");
}

TEST(ClientAddressTest, ATrustedPeerNamesTheNearestUntrustedHop) {
  auto trusted = TrustedProxies::Parse("10.0.0.0/8");
  ASSERT_TRUE(trusted.ok());
  // The client forged the first entry; the proxies appended the rest.
  const std::string chain = "1.2.3.4, 203.0.113.9, 10.0.0.5";
  EXPECT_EQ(ClientAddress("10.0.0.6", &chain, *trusted), "203.0.113.9");
  const std::string garbage = "203.0.113.9, <script>";
  EXPECT_EQ(ClientAddress("10.0.0.6", &garbage, *trusted), "10.0.0.6");
  const std::string all_trusted = "10.0.0.1, 10.0.0.2";
  EXPECT_EQ(ClientAddress("10.0.0.6", &all_trusted, *trusted), "10.0.0.6");
}

}  // namespace
}  // namespace todo::gateway
