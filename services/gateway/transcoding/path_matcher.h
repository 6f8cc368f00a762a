#pragma once

// Routes (HTTP method, path) to a registered google.api.http rule and binds
// its path variables, as Envoy's transcoder does (transcoding.md 2, 3):
// matching on the raw path; literal before "*" before "**", backtracking;
// custom verbs cut only when some template registers them (or always, with
// match_unregistered_custom_verb); trailing empty segments dropped, middle
// ones kept; no 405 (a known path with another method is not found).
// Immutable after Build, so it can be shared by every request thread.

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "services/gateway/transcoding/http_template.h"
#include "services/gateway/transcoding/percent_encoding.h"

namespace todo::gateway::transcoding {

struct VariableBinding {
  std::vector<std::string> field_path;
  std::string value;
};

struct PathMatch {
  // The id given at registration.
  int id = 0;
  std::vector<VariableBinding> bindings;
};

struct PathMatcherOptions {
  UnescapeSpec unescape_spec = UnescapeSpec::kAllCharactersExceptReserved;
  bool match_unregistered_custom_verb = false;
};

class PathMatcher {
 public:
  class Builder {
   public:
    Builder();
    ~Builder();
    Builder(Builder&&) noexcept;
    // `http_method` is GET, POST, ... or a custom kind ("*" matches any).
    // ALREADY_EXISTS when the same method, template and verb are registered
    // twice (Envoy would make both unreachable; we refuse to start).
    absl::Status Register(absl::string_view http_method, const HttpTemplate& path_template, int id);
    PathMatcher Build(PathMatcherOptions options) &&;

    // Defined in the .cc; opaque to users.
    struct Node;
    struct Registration;

   private:
    friend class PathMatcher;
    std::unique_ptr<Node> root_;
    std::vector<Registration> registrations_;
    absl::flat_hash_set<std::string> verbs_;
  };

  PathMatcher(PathMatcher&&) noexcept;
  ~PathMatcher();

  // `path` without the query. NOT_FOUND "Could not resolve <path> to a
  // method." when nothing matches.
  absl::StatusOr<PathMatch> Lookup(absl::string_view http_method, absl::string_view path) const;

 private:
  explicit PathMatcher(Builder builder, PathMatcherOptions options);

  Builder data_;
  PathMatcherOptions options_;
};

}  // namespace todo::gateway::transcoding
