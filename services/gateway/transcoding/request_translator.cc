#include "services/gateway/transcoding/request_translator.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json/flat_json.h"
#include "common/logging/log.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "services/gateway/transcoding/binding_values.h"
#include "services/gateway/transcoding/percent_encoding.h"
#include "services/gateway/transcoding/type_resolver.h"

namespace todo::gateway::transcoding {
namespace {

// Protobuf's own recursion limit for parsing.
constexpr int kMaxJsonDepth = 100;

namespace pb = google::protobuf;

// Envoy says "<field>: invalid value ..."; protobuf 3.21 says
// "(<field>): invalid value ..." (transcoding.md 16.2 b).
std::string EnvoyMessage(absl::string_view message) {
  if (absl::StartsWith(message, "(")) {
    const size_t close = message.find("):");
    if (close != absl::string_view::npos) {
      return absl::StrCat(message.substr(1, close - 1), message.substr(close + 1));
    }
  }
  return std::string(message);
}

// Query pieces in order: "name=value" split at the first '='; pieces with no
// '=' or an empty name are dropped (transcoding.md 4.1).
std::vector<std::pair<std::string, std::string>> QueryPieces(absl::string_view query,
                                                             bool plus_as_space) {
  std::vector<std::pair<std::string, std::string>> pieces;
  for (absl::string_view piece : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = piece.find('=');
    if (equals == absl::string_view::npos || equals == 0) continue;
    pieces.emplace_back(std::string(piece.substr(0, equals)),
                        UnescapeQueryValue(piece.substr(equals + 1), plus_as_space));
  }
  return pieces;
}

// A query name component that did not resolve is tried again decoded, when
// it holds a valid %XX (transcoding.md 4.4).
absl::StatusOr<std::vector<const pb::FieldDescriptor*>> ResolveQueryName(
    const pb::Descriptor& message, absl::string_view name) {
  std::vector<std::string> path = absl::StrSplit(name, '.');
  auto fields = TranscoderConfig::ResolveFieldPath(message, path);
  if (fields.ok() || !absl::StrContains(name, "%")) return fields;
  for (std::string& component : path) component = UnescapeAll(component);
  auto decoded = TranscoderConfig::ResolveFieldPath(message, path);
  return decoded.ok() ? decoded : fields;
}

// Whether the body set the singular field a binding names.
bool BodySets(const pb::Message& body, const std::vector<const pb::FieldDescriptor*>& fields) {
  const pb::Message* current = &body;
  for (size_t i = 0; i < fields.size(); ++i) {
    const pb::Reflection& reflection = *current->GetReflection();
    const pb::FieldDescriptor* field = fields[i];
    if (field->is_repeated()) return false;
    if (i + 1 == fields.size()) return reflection.HasField(*current, field);
    if (!reflection.HasField(*current, field)) return false;
    current = &reflection.GetMessage(*current, field);
  }
  return false;
}

// Case-insensitive enum parsing: upper-case and '-' -> '_' (5.8).
std::string EnumWord(absl::string_view value) {
  std::string word = absl::AsciiStrToUpper(value);
  std::replace(word.begin(), word.end(), '-', '_');
  return word;
}

// The binding's text read as its field's type equals what the body set
// there ("42" and {"id": 42} or {"id": "42"}): a repetition, not a collision,
// as Envoy's request weaver compares parsed values. Only singular scalars
// (what path and query bindings hold) compare; anything else collides.
bool BodyRepeatsBinding(const pb::Message& body, const Binding& binding,
                        const pb::Message& prototype, const RouteMatch& match) {
  const pb::FieldDescriptor* leaf = binding.fields.back();
  if (leaf->is_repeated() || leaf->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
    return false;
  }
  std::unique_ptr<pb::Message> alone(prototype.New());
  if (!SetBindings({binding}, match.type_resolver, *alone).ok()) return false;
  const pb::Message* said = &body;
  const pb::Message* bound = alone.get();
  for (size_t i = 0; i + 1 < binding.fields.size(); ++i) {
    said = &said->GetReflection()->GetMessage(*said, binding.fields[i]);
    bound = &bound->GetReflection()->GetMessage(*bound, binding.fields[i]);
  }
  const pb::Reflection& a = *said->GetReflection();
  const pb::Reflection& b = *bound->GetReflection();
  switch (leaf->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return a.GetInt32(*said, leaf) == b.GetInt32(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_INT64:
      return a.GetInt64(*said, leaf) == b.GetInt64(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return a.GetUInt32(*said, leaf) == b.GetUInt32(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return a.GetUInt64(*said, leaf) == b.GetUInt64(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      return a.GetDouble(*said, leaf) == b.GetDouble(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
      return a.GetFloat(*said, leaf) == b.GetFloat(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      return a.GetBool(*said, leaf) == b.GetBool(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return a.GetEnumValue(*said, leaf) == b.GetEnumValue(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_STRING:
      return a.GetString(*said, leaf) == b.GetString(*bound, leaf);
    case pb::FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::string> TranslateRequest(const RouteMatch& match, absl::string_view query,
                                             absl::string_view body,
                                             const RequestTranslatorOptions& options) {
  const Route& route = *match.route;
  std::optional<pb::DynamicMessageFactory> own_factory;  // for a Route made by hand
  const pb::Message* prototype = route.request_prototype;
  if (prototype == nullptr)
    prototype = own_factory.emplace().GetPrototype(route.method->input_type());
  // Fields are named in the prototype's own descriptor (the compiled one's,
  // when it stands for the set's type), which its reflection takes.
  const pb::Descriptor& type = *prototype->GetDescriptor();

  // The body, as the request message (or the named field of it). No bytes
  // at all is {}, which for the whole message is the empty message: none is
  // built then (nor serialized, which by reflection costs a GET more than
  // its binding does).
  std::unique_ptr<pb::Message> from_body;
  if (!body.empty() || !route.body_field_path.empty()) {
    from_body.reset(prototype->New());
    // Whitespace alone is invalid JSON (5.3).
    std::string json(body.empty() ? absl::string_view("{}") : body);
    for (auto it = route.body_field_path.rbegin(); it != route.body_field_path.rend(); ++it) {
      std::string wrapped;
      common::logging::AppendJsonString((*it)->name(), wrapped);
      json = absl::StrCat("{", wrapped, ":", json, "}");
    }
    // Unknown fields are ignored, unknown enum words are not (5.5). A strict
    // parse tells them apart; when it succeeds, the lenient one would give
    // the same message, so it runs only when the strict one fails.
    pb::util::JsonParseOptions strict;
    strict.case_insensitive_enum_parsing = options.case_insensitive_enum_parsing;
    const auto strict_parsed = ParseJson(match.type_resolver, json, *from_body, strict);
    if (!strict_parsed.ok()) {
      from_body->Clear();
      pb::util::JsonParseOptions lenient = strict;
      lenient.ignore_unknown_fields = true;
      const auto parsed = ParseJson(match.type_resolver, json, *from_body, lenient);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(EnvoyMessage(parsed.message().ToString()));
      }
    }
    // Protobuf 3.21's converter also takes unquoted and single-quoted names
    // and strings, which the parser Envoy links today refuses; of its
    // leniencies only trailing commas are kept (5.5). Checked after the
    // parse, so malformed JSON keeps the converter's messages (5.4).
    if (!body.empty() &&
        !common::json::ValidateJson(body, kMaxJsonDepth, common::json::TrailingCommas::kAllowed)
             .ok()) {
      return absl::InvalidArgumentError(
          "Unexpected token. The body must be JSON as RFC 8259 writes it (names and strings in "
          "double quotes).");
    }
    if (!strict_parsed.ok() &&
        absl::StrContains(strict_parsed.message().ToString(), "invalid value")) {
      return absl::InvalidArgumentError(EnvoyMessage(strict_parsed.message().ToString()));
    }
  }

  // Path variables, then query parameters.
  std::vector<Binding> bindings;
  for (const VariableBinding& variable : match.bindings) {
    auto fields = TranscoderConfig::ResolveFieldPath(type, variable.field_path);
    if (!fields.ok()) return fields.status();
    bindings.push_back({*std::move(fields), variable.value});
  }
  for (auto& [name, value] : QueryPieces(query, options.query_param_unescape_plus)) {
    if (options.ignored_query_parameters.contains(name)) continue;
    auto fields = ResolveQueryName(type, name);
    if (!fields.ok()) {
      if (options.ignore_unknown_query_parameters) continue;
      return fields.status();
    }
    bindings.push_back({*std::move(fields), std::move(value)});
  }
  std::vector<Binding> kept;
  for (Binding& binding : bindings) {
    if (from_body != nullptr && BodySets(*from_body, binding.fields)) {
      if (options.reject_binding_body_field_collisions &&
          !BodyRepeatsBinding(*from_body, binding, *prototype, match)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "The binding value ", binding.value, " of the field ", binding.fields.back()->name(),
            " is conflicting with the value in the body."));
      }
      continue;  // the body wins
    }
    if (options.case_insensitive_enum_parsing && binding.fields.back()->enum_type() != nullptr) {
      binding.value = EnumWord(binding.value);
    }
    kept.push_back(std::move(binding));
  }

  // Wire-format concatenation merges: the body first, then the bindings, so
  // repeated binding values follow the body's.
  std::string request = from_body != nullptr ? from_body->SerializeAsString() : std::string();
  if (!kept.empty()) {
    std::unique_ptr<pb::Message> from_bindings(prototype->New());
    const absl::Status set = SetBindings(kept, match.type_resolver, *from_bindings);
    if (!set.ok()) return absl::InvalidArgumentError(EnvoyMessage(set.message()));
    from_bindings->AppendToString(&request);
  }
  return request;
}

}  // namespace todo::gateway::transcoding
