#pragma once

// The web app's files, served by the gateway at / (WEB_ROOT): read once at
// start into memory with their gzip form and an ETag, so a request never
// touches the disk and no path a client sends can name a file outside the
// set.
//
//   /                      index.html
//   /assets/...            content-hashed by the build: cached a year, immutable
//   anything else found    revalidated (no-cache, ETag, 304)
//   an unknown path        index.html for a browser's navigation (the app
//                          routes it), else not found
//
// Every file goes out with the page's security headers: a
// Content-Security-Policy without 'unsafe-inline', Referrer-Policy,
// X-Frame-Options (X-Content-Type-Options: nosniff is on every answer).

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/http_message.h"

namespace todo::gateway::web {

struct StaticFile {
  std::string content_type;
  std::string body;
  std::string gzipped;  // empty when gzip would not be smaller
  std::string etag;
  bool immutable = false;
};

class StaticFiles {
 public:
  // No files: the gateway serves the API only.
  StaticFiles() = default;

  // Every regular file under `root`. A missing `root` is an empty set;
  // a root that cannot be read, or more than 2,000 files or 64 MiB, is
  // FAILED_PRECONDITION naming it.
  static absl::StatusOr<StaticFiles> Load(const std::string& root);

  bool empty() const { return files_.empty(); }
  size_t size() const { return files_.size(); }

  // The answer to a GET or HEAD of `path` (percent-decoding is not needed:
  // the build names files in plain ASCII); nullopt when there is none.
  std::optional<HttpResponse> Answer(const HttpRequest& request, absl::string_view path) const;

 private:
  std::map<std::string, StaticFile, std::less<>> files_;  // by URL path ("/index.html")
};

}  // namespace todo::gateway::web
