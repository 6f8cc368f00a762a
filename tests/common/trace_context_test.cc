#include "common/tracing/trace_context.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace todo::common::tracing {
namespace {

using ::testing::MatchesRegex;
using ::testing::Optional;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

MATCHER_P3(IsParent, trace_id, parent_id, flags, "") {
  return arg.trace_id == trace_id && arg.parent_id == parent_id && arg.flags == flags;
}

TEST(TraceContextTest, ParsesTheSpecsExample) {
  EXPECT_THAT(ParseTraceParent(kParent), Optional(IsParent(kTraceId, "00f067aa0ba902b7", "01")));
  EXPECT_EQ(TraceIdOf(kParent), kTraceId);
}

TEST(TraceContextTest, RefusesWhatTheSpecRefuses) {
  for (const std::string bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // 00 with more
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // later, no dash
       }) {
    EXPECT_EQ(ParseTraceParent(bad), std::nullopt) << bad;
    EXPECT_EQ(TraceIdOf(bad), "") << bad;
  }
}

TEST(TraceContextTest, ReadsALaterVersionByItsFirstFourFields) {
  EXPECT_THAT(ParseTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"),
              Optional(IsParent(kTraceId, "00f067aa0ba902b7", "01")));
}

TEST(TraceContextTest, ARequestContinuesItsCallersTraceInASpanOfItsOwn) {
  const TraceContext context = TraceContext::ForRequest(kParent, " vendor=abc ");
  EXPECT_EQ(context.trace_id, kTraceId);
  EXPECT_THAT(context.span_id, MatchesRegex("[0-9a-f]{16}"));
  EXPECT_NE(context.span_id, "00f067aa0ba902b7");
  EXPECT_EQ(context.trace_state, "vendor=abc");
  EXPECT_EQ(context.TraceParent(), "00-" + std::string(kTraceId) + "-" + context.span_id + "-01");
}

TEST(TraceContextTest, PassesOnOnlyTheSampledFlag) {
  EXPECT_EQ(
      TraceContext::ForRequest("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "").flags,
      "01");
  EXPECT_EQ(
      TraceContext::ForRequest("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", "").flags,
      "00");
}

TEST(TraceContextTest, StartsANewTraceWithoutAValidParentAndDropsItsState) {
  for (const char* parent : {"", "garbage"}) {
    const TraceContext context = TraceContext::ForRequest(parent, "vendor=abc");
    EXPECT_THAT(context.trace_id, MatchesRegex("[0-9a-f]{32}"));
    EXPECT_THAT(context.span_id, MatchesRegex("[0-9a-f]{16}"));
    EXPECT_EQ(context.trace_state, "");
    EXPECT_THAT(ParseTraceParent(context.TraceParent()),
                Optional(IsParent(context.trace_id, context.span_id, "00")));
  }
  EXPECT_NE(TraceContext::NewTrace().trace_id, TraceContext::NewTrace().trace_id);
}

}  // namespace
}  // namespace todo::common::tracing
