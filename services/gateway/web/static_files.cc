#include "services/gateway/web/static_files.h"

#include <openssl/sha.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/compression.h"

namespace todo::gateway::web {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 2000;
constexpr size_t kMaxTotalBytes = 64 << 20;

// No inline script or style anywhere: the app's code and styles are files
// of its own origin, and its API calls go to the same origin.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

absl::string_view ContentType(absl::string_view path) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [suffix, type] : kTypes) {
    if (absl::EndsWith(path, suffix)) return type;
  }
  return "application/octet-stream";
}

bool Compressible(absl::string_view content_type) {
  return absl::StartsWith(content_type, "text/") || absl::StrContains(content_type, "json") ||
         absl::StrContains(content_type, "svg");
}

std::string Etag(absl::string_view body) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  return absl::StrCat(
      "\"", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 12)),
      "\"");
}

// A navigation by a browser (an address typed, a link, a reload), as
// opposed to a script's fetch or an <img>: what the app's own router
// answers.
bool IsNavigation(const HttpRequest& request) {
  if (const std::string* mode = request.Header("sec-fetch-mode")) return *mode == "navigate";
  const std::string* accept = request.Header("accept");
  return accept != nullptr && absl::StrContains(*accept, "text/html");
}

bool AcceptsGzip(const HttpRequest& request) {
  const std::string* accepted = request.Header("accept-encoding");
  return accepted != nullptr && absl::StrContains(absl::AsciiStrToLower(*accepted), "gzip");
}

}  // namespace

absl::StatusOr<StaticFiles> StaticFiles::Load(const std::string& root) {
  StaticFiles files;
  std::error_code error;
  if (root.empty() || !fs::exists(root, error)) return files;
  size_t total = 0;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    const std::string relative = fs::relative(it->path(), root, error).generic_string();
    if (error || relative.empty() || relative[0] == '.') continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) {
      return absl::FailedPreconditionError(
          absl::StrCat("WEB_ROOT: cannot read ", it->path().string()));
    }
    StaticFile file;
    file.body = bytes.str();
    total += file.body.size();
    if (files.files_.size() >= kMaxFiles || total > kMaxTotalBytes) {
      return absl::FailedPreconditionError(absl::StrCat("WEB_ROOT: ", root, " holds more than ",
                                                        kMaxFiles, " files or ",
                                                        kMaxTotalBytes >> 20, " MiB"));
    }
    const std::string path = "/" + relative;
    file.content_type = std::string(ContentType(path));
    file.etag = Etag(file.body);
    file.immutable = absl::StartsWith(path, "/assets/");
    if (Compressible(file.content_type)) {
      std::string gzipped = common::rpc::Compress(common::rpc::Encoding::kGzip, file.body);
      if (gzipped.size() < file.body.size()) file.gzipped = std::move(gzipped);
    }
    files.files_.emplace(path, std::move(file));
  }
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("WEB_ROOT: cannot list ", root, ": ", error.message()));
  }
  return files;
}

std::optional<HttpResponse> StaticFiles::Answer(const HttpRequest& request,
                                                absl::string_view path) const {
  if (files_.empty() || (request.method != "GET" && request.method != "HEAD")) return std::nullopt;
  auto found = files_.find(path == "/" ? "/index.html" : path);
  if (found == files_.end()) {
    // The app's own routes (/tasks, /chat/12, /docs) on a reload or a
    // shared link; never for a missing script or image.
    if (!IsNavigation(request) || absl::StartsWith(path, "/assets/")) return std::nullopt;
    found = files_.find("/index.html");
    if (found == files_.end()) return std::nullopt;
  }
  const StaticFile& file = found->second;
  HttpResponse response;
  response.headers = {
      {"content-type", file.content_type},
      {"cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache"},
      {"etag", file.etag},
      {"vary", "accept-encoding"},
      {"content-security-policy", kContentSecurityPolicy},
      {"referrer-policy", "no-referrer"},
      {"x-frame-options", "DENY"},
  };
  if (const std::string* known = request.Header("if-none-match");
      known != nullptr && absl::StrContains(*known, file.etag)) {
    response.status = 304;
    return response;
  }
  const bool gzip = !file.gzipped.empty() && AcceptsGzip(request);
  if (gzip) response.headers.emplace_back("content-encoding", "gzip");
  if (request.method == "GET") response.body = gzip ? file.gzipped : file.body;
  return response;
}

}  // namespace todo::gateway::web
