#include "services/gateway/web/static_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/rpc/compression.h"

namespace todo::gateway::web {
namespace {

namespace fs = std::filesystem;

std::string HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest()
      : root_(fs::temp_directory_path() / ("static-files-" + std::to_string(getpid()))) {
    fs::create_directories(root_ / "assets");
    Write("index.html", "<!doctype html><title>Todo</title>" + std::string(2000, ' '));
    Write("assets/app-AB12CD34.js", "console.log('app');" + std::string(2000, ';'));
    Write("favicon.svg", "<svg/>");
    Write(".hidden", "secret");
  }
  ~StaticFilesTest() override { fs::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    std::ofstream(root_ / path, std::ios::binary) << text;
  }

  HttpRequest Get(const std::string& path, Headers headers = {}) {
    HttpRequest request;
    request.method = "GET";
    request.target = path;
    request.headers = std::move(headers);
    return request;
  }

  fs::path root_;
};

TEST_F(StaticFilesTest, ServesTheAppWithItsTypesCachingAndSecurityHeaders) {
  absl::StatusOr<StaticFiles> files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->size(), 3u);  // dot files are not served

  std::optional<HttpResponse> index = files->Answer(Get("/"), "/");
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(HeaderOf(*index, "content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(*index, "cache-control"), "no-cache");
  EXPECT_THAT(HeaderOf(*index, "content-security-policy"),
              ::testing::HasSubstr("script-src 'self'"));
  EXPECT_THAT(HeaderOf(*index, "content-security-policy"),
              ::testing::Not(::testing::HasSubstr("unsafe-inline")));
  EXPECT_EQ(HeaderOf(*index, "referrer-policy"), "no-referrer");

  std::optional<HttpResponse> script = files->Answer(
      Get("/assets/app-AB12CD34.js", {{"accept-encoding", "gzip, br"}}), "/assets/app-AB12CD34.js");
  ASSERT_TRUE(script.has_value());
  EXPECT_EQ(HeaderOf(*script, "content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(*script, "cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(*script, "content-encoding"), "gzip");
  absl::StatusOr<std::string> inflated =
      common::rpc::Decompress(common::rpc::Encoding::kGzip, script->body, 1 << 20);
  ASSERT_TRUE(inflated.ok());
  EXPECT_THAT(*inflated, ::testing::StartsWith("console.log('app');"));

  // Revalidation by ETag.
  std::optional<HttpResponse> again =
      files->Answer(Get("/", {{"if-none-match", HeaderOf(*index, "etag")}}), "/");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
}

TEST_F(StaticFilesTest, FallsBackToTheAppOnlyForNavigation) {
  absl::StatusOr<StaticFiles> files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  std::optional<HttpResponse> navigation =
      files->Answer(Get("/tasks/12", {{"sec-fetch-mode", "navigate"}}), "/tasks/12");
  ASSERT_TRUE(navigation.has_value());
  EXPECT_EQ(HeaderOf(*navigation, "content-type"), "text/html; charset=utf-8");
  EXPECT_FALSE(files->Answer(Get("/tasks/12", {{"sec-fetch-mode", "cors"}}), "/tasks/12"));
  EXPECT_FALSE(files->Answer(Get("/missing.js", {{"accept", "*/*"}}), "/missing.js"));
  EXPECT_FALSE(files->Answer(Get("/assets/gone-00000000.js", {{"accept", "text/html"}}),
                             "/assets/gone-00000000.js"));
  EXPECT_FALSE(files->Answer(Get("/.hidden"), "/.hidden"));
  EXPECT_FALSE(files->Answer(Get("/../etc/passwd"), "/../etc/passwd"));
  HttpRequest post = Get("/");
  post.method = "POST";
  EXPECT_FALSE(files->Answer(post, "/"));
}

TEST_F(StaticFilesTest, AMissingRootIsAnEmptySet) {
  absl::StatusOr<StaticFiles> files = StaticFiles::Load((root_ / "nowhere").string());
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
  EXPECT_FALSE(files->Answer(Get("/"), "/"));
}

}  // namespace
}  // namespace todo::gateway::web
