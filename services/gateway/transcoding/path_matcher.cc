#include "services/gateway/transcoding/path_matcher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace todo::gateway::transcoding {

struct PathMatcher::Builder::Node {
  absl::flat_hash_map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> single_wildcard;
  std::unique_ptr<Node> double_wildcard;
  // "<method> <verb>" -> index into registrations_.
  absl::flat_hash_map<std::string, int> results;
};

struct PathMatcher::Builder::Registration {
  int id;
  HttpTemplate path_template;
};

namespace {

using Node = PathMatcher::Builder::Node;

std::string ResultKey(absl::string_view method, absl::string_view verb) {
  return absl::StrCat(method, " ", verb);
}

// The segment ranges [begin, end) of the path that each template segment
// matched, in template order.
using Ranges = std::vector<std::pair<size_t, size_t>>;

const int* ResultOf(const Node& node, absl::string_view method, absl::string_view verb) {
  for (const std::string& key : {ResultKey(method, verb), ResultKey("*", verb)}) {
    auto it = node.results.find(key);
    if (it != node.results.end()) return &it->second;
  }
  return nullptr;
}

bool Match(const Node& node, const std::vector<std::string>& segments, size_t at,
           absl::string_view method, absl::string_view verb, Ranges& ranges, int& found) {
  if (at == segments.size()) {
    if (const int* result = ResultOf(node, method, verb)) {
      found = *result;
      return true;
    }
    // "**" may match zero trailing segments.
    if (node.double_wildcard != nullptr) {
      ranges.emplace_back(at, at);
      if (const int* result = ResultOf(*node.double_wildcard, method, verb)) {
        found = *result;
        return true;
      }
      ranges.pop_back();
    }
    return false;
  }
  const std::string& segment = segments[at];
  if (auto it = node.literals.find(segment); it != node.literals.end()) {
    ranges.emplace_back(at, at + 1);
    if (Match(*it->second, segments, at + 1, method, verb, ranges, found)) return true;
    ranges.pop_back();
  }
  if (node.single_wildcard != nullptr && !segment.empty()) {
    ranges.emplace_back(at, at + 1);
    if (Match(*node.single_wildcard, segments, at + 1, method, verb, ranges, found)) return true;
    ranges.pop_back();
  }
  if (node.double_wildcard != nullptr) {
    // Only literals follow "**": try the longest run first.
    for (size_t end = segments.size();; --end) {
      ranges.emplace_back(at, end);
      if (Match(*node.double_wildcard, segments, end, method, verb, ranges, found)) return true;
      ranges.pop_back();
      if (end == at) break;
    }
  }
  return false;
}

}  // namespace

PathMatcher::Builder::Builder() : root_(std::make_unique<Node>()) {}
PathMatcher::Builder::~Builder() = default;
PathMatcher::Builder::Builder(Builder&&) noexcept = default;
PathMatcher::PathMatcher(PathMatcher&&) noexcept = default;
PathMatcher::~PathMatcher() = default;

absl::Status PathMatcher::Builder::Register(absl::string_view http_method,
                                            const HttpTemplate& path_template, int id) {
  Node* node = root_.get();
  for (const std::string& segment : path_template.segments) {
    std::unique_ptr<Node>* child;
    if (segment == kSingleWildcard) {
      child = &node->single_wildcard;
    } else if (segment == kDoubleWildcard) {
      child = &node->double_wildcard;
    } else {
      child = &node->literals[segment];
    }
    if (*child == nullptr) *child = std::make_unique<Node>();
    node = child->get();
  }
  const std::string key = ResultKey(http_method, path_template.verb);
  if (node->results.contains(key)) {
    return absl::AlreadyExistsError("another rule has the same HTTP method and path template");
  }
  node->results.emplace(key, static_cast<int>(registrations_.size()));
  registrations_.push_back(Registration{id, path_template});
  if (!path_template.verb.empty()) verbs_.insert(path_template.verb);
  return absl::OkStatus();
}

PathMatcher PathMatcher::Builder::Build(PathMatcherOptions options) && {
  return PathMatcher(std::move(*this), options);
}

PathMatcher::PathMatcher(Builder builder, PathMatcherOptions options)
    : data_(std::move(builder)), options_(options) {}

absl::StatusOr<PathMatch> PathMatcher::Lookup(absl::string_view http_method,
                                              absl::string_view path) const {
  const absl::Status not_found =
      absl::NotFoundError(absl::StrCat("Could not resolve ", path, " to a method."));
  if (path.empty() || path[0] != '/') return not_found;
  absl::string_view rest = path.substr(1);
  // A ':' after the last '/' starts a verb, if some template uses that verb.
  std::string verb;
  const size_t colon = rest.rfind(':');
  const size_t slash = rest.rfind('/');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    const absl::string_view candidate = rest.substr(colon + 1);
    if (options_.match_unregistered_custom_verb || data_.verbs_.contains(candidate)) {
      verb = std::string(candidate);
      rest = rest.substr(0, colon);
    }
  }
  std::vector<std::string> segments = absl::StrSplit(rest, '/');
  while (!segments.empty() && segments.back().empty()) {
    segments.pop_back();  // "/a/" is "/a"; empty segments in the middle stay
  }
  Ranges ranges;
  int found = -1;
  if (!Match(*data_.root_, segments, 0, http_method, verb, ranges, found)) {
    return not_found;
  }
  const Builder::Registration& registration = data_.registrations_[found];
  PathMatch match;
  match.id = registration.id;
  for (const HttpTemplate::Variable& variable : registration.path_template.variables) {
    const size_t begin = ranges[variable.start_segment].first;
    const size_t end = ranges[variable.end_segment - 1].second;
    const std::string raw = absl::StrJoin(segments.begin() + begin, segments.begin() + end, "/");
    const bool single_segment = variable.end_segment - variable.start_segment == 1 &&
                                !variable.has_double_wildcard && end - begin == 1;
    match.bindings.push_back({variable.field_path, single_segment
                                                       ? UnescapeAll(raw)
                                                       : Unescape(raw, options_.unescape_spec)});
  }
  return match;
}

}  // namespace todo::gateway::transcoding
