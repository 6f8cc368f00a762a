#include "services/gateway/transcoding/path_matcher.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/status_matchers.h"

namespace todo::gateway::transcoding {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::todo::testing::IsOk;
using ::todo::testing::StatusIs;

struct Route {
  const char* method;
  const char* path_template;
};

PathMatcher Build(std::initializer_list<Route> routes, PathMatcherOptions options = {}) {
  PathMatcher::Builder builder;
  int id = 0;
  for (const Route& route : routes) {
    auto parsed = HttpTemplate::Parse(route.path_template);
    EXPECT_THAT(parsed, IsOk()) << route.path_template;
    EXPECT_THAT(builder.Register(route.method, *parsed, id++), IsOk()) << route.path_template;
  }
  return std::move(builder).Build(options);
}

// The id of the route a request reaches, or -1.
int RouteOf(const PathMatcher& matcher, const char* method, const char* path) {
  auto match = matcher.Lookup(method, path);
  return match.ok() ? match->id : -1;
}

std::string Binding(const PathMatcher& matcher, const char* method, const char* path) {
  auto match = matcher.Lookup(method, path);
  EXPECT_THAT(match, IsOk()) << path;
  if (!match.ok() || match->bindings.empty()) return "<none>";
  return match->bindings[0].value;
}

TEST(PathMatcherTest, MatchesTheTasksApi) {
  const PathMatcher matcher = Build({{"GET", "/v1/tasks/{id}"},
                                     {"GET", "/v1/tasks"},
                                     {"POST", "/v1/tasks"},
                                     {"PATCH", "/v1/tasks/{task.id}"},
                                     {"POST", "/v1/tasks/{id}:complete"},
                                     {"POST", "/v1/tasks:search"},
                                     {"GET", "/v1/tasks:watch"}});
  EXPECT_EQ(RouteOf(matcher, "GET", "/v1/tasks/42"), 0);
  EXPECT_EQ(RouteOf(matcher, "GET", "/v1/tasks/42/"), 0);  // trailing slash (P02)
  EXPECT_EQ(RouteOf(matcher, "GET", "/v1/tasks"), 1);
  EXPECT_EQ(RouteOf(matcher, "POST", "/v1/tasks"), 2);
  EXPECT_EQ(RouteOf(matcher, "POST", "/v1/tasks/42:complete"), 4);
  EXPECT_EQ(RouteOf(matcher, "POST", "/v1/tasks:search"), 5);
  EXPECT_EQ(RouteOf(matcher, "GET", "/v1/tasks:watch"), 6);
  auto patch = matcher.Lookup("PATCH", "/v1/tasks/42");
  ASSERT_THAT(patch, IsOk());
  EXPECT_THAT(patch->bindings,
              ElementsAre(Field(&VariableBinding::field_path, ElementsAre("task", "id"))));
}

TEST(PathMatcherTest, AKnownPathWithAnotherMethodIsNotFound) {
  const PathMatcher matcher = Build({{"GET", "/v1/tasks/{id}"}, {"DELETE", "/v1/tasks/{id}"}});
  EXPECT_THAT(matcher.Lookup("PUT", "/v1/tasks/42"),
              StatusIs(absl::StatusCode::kNotFound, "Could not resolve /v1/tasks/42 to a method."));
}

TEST(PathMatcherTest, MatchesTheRawPathOnly) {
  const PathMatcher matcher = Build({{"GET", "/v1/tasks"}});
  EXPECT_EQ(RouteOf(matcher, "GET", "/v1/task%73"), -1);
}

TEST(PathMatcherTest, PrefersLiteralsThenSingleThenDoubleWildcards) {
  const PathMatcher matcher =
      Build({{"GET", "/c/*/d/**"}, {"GET", "/c/*/d/e"}, {"GET", "/c/f/d/e"}});
  EXPECT_EQ(RouteOf(matcher, "GET", "/c/f/d/e"), 2);
  EXPECT_EQ(RouteOf(matcher, "GET", "/c/g/d/e"), 1);
  EXPECT_EQ(RouteOf(matcher, "GET", "/c/g/d/x/y"), 0);
  // Empty segments in the middle match nothing.
  EXPECT_EQ(RouteOf(matcher, "GET", "/c//v/d/w/x"), -1);
}

TEST(PathMatcherTest, BacktracksWhenALiteralBranchLeadsNowhere) {
  const PathMatcher matcher = Build({{"GET", "/a/b/c"}, {"GET", "/a/*/d"}});
  EXPECT_EQ(RouteOf(matcher, "GET", "/a/b/d"), 1);
}

TEST(PathMatcherTest, DoubleWildcardsMatchZeroOrMoreSegments) {
  const PathMatcher root = Build({{"GET", "/**"}});
  EXPECT_EQ(RouteOf(root, "GET", "/"), 0);
  EXPECT_EQ(RouteOf(root, "GET", "/a"), 0);
  EXPECT_EQ(RouteOf(root, "GET", "/a/"), 0);
  const PathMatcher under = Build({{"GET", "/a/**"}});
  EXPECT_EQ(RouteOf(under, "GET", "/a"), 0);
  EXPECT_EQ(RouteOf(under, "GET", "/a/b/c"), 0);
  const PathMatcher suffix = Build({{"GET", "/a/{x=b/**}/y/z"}});
  EXPECT_EQ(Binding(suffix, "GET", "/a/b/c/d/y/z"), "b/c/d");
  EXPECT_EQ(Binding(suffix, "GET", "/a/b/y/z"), "b");
}

TEST(PathMatcherTest, BindsMultiSegmentVariables) {
  const PathMatcher matcher =
      Build({{"GET", "/v1/{name=users/*/tasks/*}"}, {"GET", "/v1/tasks/by-name/{name=**}"}});
  EXPECT_EQ(Binding(matcher, "GET", "/v1/users/u1/tasks/t1"), "users/u1/tasks/t1");  // P05
  EXPECT_EQ(Binding(matcher, "GET", "/v1/tasks/by-name/a/b/c"), "a/b/c");            // P08
  EXPECT_EQ(Binding(matcher, "GET", "/v1/tasks/by-name"), "");                       // 3.4
}

TEST(PathMatcherTest, DecodesSingleSegmentVariablesFully) {
  const PathMatcher matcher = Build({{"GET", "/v1/users/{user_id}"}, {"GET", "/a/{x}/c"}});
  EXPECT_EQ(Binding(matcher, "GET", "/v1/users/alice%40example.com"), "alice@example.com");  // P03
  EXPECT_EQ(Binding(matcher, "GET", "/v1/users/a%2Fb%20c"), "a/b c");                        // P04
  EXPECT_EQ(Binding(matcher, "GET", "/a/p%20q%2Fr+/c"), "p q/r+");
  EXPECT_EQ(Binding(matcher, "GET", "/a/%zz%4/c"), "%zz%4");  // invalid escapes stay
}

TEST(PathMatcherTest, DecodesMultiSegmentVariablesPerTheUnescapeSpec) {
  const char* path = "/v1/users/u%2F1/tasks/t%201";
  EXPECT_EQ(Binding(Build({{"GET", "/v1/{name=users/*/tasks/*}"}}), "GET", path),
            "users/u%2F1/tasks/t 1");  // P06
  PathMatcherOptions all;
  all.unescape_spec = UnescapeSpec::kAllCharacters;
  EXPECT_EQ(Binding(Build({{"GET", "/v1/{name=users/*/tasks/*}"}}, all), "GET", path),
            "users/u/1/tasks/t 1");  // P07
  // Envoy's UnescapeSpec test: %2f%23/%20%2523 under each spec.
  const char* escaped = "/x/%2f%23/%20%2523";
  const auto value = [&](UnescapeSpec spec) {
    PathMatcherOptions options;
    options.unescape_spec = spec;
    return Binding(Build({{"GET", "/x/{arg=**}"}}, options), "GET", escaped);
  };
  EXPECT_EQ(value(UnescapeSpec::kAllCharactersExceptReserved), "%2f%23/ %23");
  EXPECT_EQ(value(UnescapeSpec::kAllCharactersExceptSlash), "%2f#/ %23");
  EXPECT_EQ(value(UnescapeSpec::kAllCharacters), "/#/ %23");
}

TEST(PathMatcherTest, CutsOnlyRegisteredCustomVerbs) {
  const PathMatcher matcher = Build({{"GET", "/v1/users/{user_id}"},
                                     {"POST", "/v1/tasks/{id}:complete"},
                                     {"GET", "/wildcard/{arg=**}"}});
  EXPECT_EQ(Binding(matcher, "GET", "/v1/users/bob:smith"), "bob:smith");  // P11
  EXPECT_EQ(Binding(matcher, "GET", "/wildcard/random:unknown"), "random:unknown");
  // An encoded colon is never a verb separator.
  EXPECT_EQ(RouteOf(matcher, "POST", "/v1/tasks/42%3Acomplete"), -1);
  PathMatcherOptions strict;
  strict.match_unregistered_custom_verb = true;
  EXPECT_EQ(
      RouteOf(Build({{"GET", "/wildcard/{arg=**}"}}, strict), "GET", "/wildcard/random:unknown"),
      -1);
}

TEST(PathMatcherTest, CustomMethodStarMatchesEveryMethod) {
  const PathMatcher matcher = Build({{"*", "/any/{x}"}});
  EXPECT_EQ(RouteOf(matcher, "GET", "/any/1"), 0);
  EXPECT_EQ(RouteOf(matcher, "DELETE", "/any/1"), 0);
}

TEST(PathMatcherTest, RefusesTheSameRouteTwice) {
  PathMatcher::Builder builder;
  ASSERT_THAT(builder.Register("GET", *HttpTemplate::Parse("/v1/tasks/{id}"), 0), IsOk());
  EXPECT_THAT(builder.Register("GET", *HttpTemplate::Parse("/v1/tasks/{name}"), 1),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(builder.Register("POST", *HttpTemplate::Parse("/v1/tasks/{id}"), 2), IsOk());
}

}  // namespace
}  // namespace todo::gateway::transcoding
