#include "common/config/cpus.h"

#include <thread>

#include "gtest/gtest.h"

namespace todo::common::config {
namespace {

TEST(CpusTest, ReadsCgroupV2QuotasRoundedUp) {
  EXPECT_EQ(CpusFromCpuMax("max 100000\n"), std::nullopt);
  EXPECT_EQ(CpusFromCpuMax("100000 100000\n"), 1);
  EXPECT_EQ(CpusFromCpuMax("150000 100000"), 2);  // 1.5 CPUs: two threads can use it
  EXPECT_EQ(CpusFromCpuMax("50000 100000"), 1);
  EXPECT_EQ(CpusFromCpuMax("400000 100000"), 4);
  EXPECT_EQ(CpusFromCpuMax(""), std::nullopt);
  EXPECT_EQ(CpusFromCpuMax("garbage"), std::nullopt);
  EXPECT_EQ(CpusFromCpuMax("-1 100000"), std::nullopt);
}

TEST(CpusTest, UsableCpusIsBetweenOneAndTheMachines) {
  const int cpus = UsableCpus();
  EXPECT_GE(cpus, 1);
  EXPECT_LE(cpus, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

}  // namespace
}  // namespace todo::common::config
