#include "common/json/flat_json.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace todo::common::json {
namespace {

constexpr int kMaxFlatDepth = 16;

class Parser {
 public:
  Parser(absl::string_view text, int max_depth, bool trailing_commas = false)
      : text_(text), max_depth_(max_depth), trailing_commas_(trailing_commas) {}

  bool AtEnd() {
    SkipSpace();
    return position_ == text_.size();
  }

  void SkipSpace() {
    while (position_ < text_.size() && (text_[position_] == ' ' || text_[position_] == '\t' ||
                                        text_[position_] == '\n' || text_[position_] == '\r')) {
      ++position_;
    }
  }

  bool Consume(char expected) {
    SkipSpace();
    if (position_ < text_.size() && text_[position_] == expected) {
      ++position_;
      return true;
    }
    return false;
  }

  bool Peek(char expected) {
    SkipSpace();
    return position_ < text_.size() && text_[position_] == expected;
  }

  // A JSON string, unescaped into `out` (UTF-8).
  bool ParseString(std::string& out) {
    if (!Consume('"')) return false;
    while (position_ < text_.size()) {
      const unsigned char c = static_cast<unsigned char>(text_[position_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (position_ >= text_.size()) return false;
      const char escape = text_[position_++];
      switch (escape) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t code = 0;
          if (!Hex4(code)) return false;
          if (code >= 0xD800 && code <= 0xDBFF) {
            uint32_t low = 0;
            if (position_ + 1 >= text_.size() || text_[position_] != '\\' ||
                text_[position_ + 1] != 'u') {
              return false;
            }
            position_ += 2;
            if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return false;
          }
          AppendUtf8(code, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool ParseNumber(double& out) {
    SkipSpace();
    const size_t start = position_;
    if (position_ < text_.size() && text_[position_] == '-') ++position_;
    if (position_ >= text_.size() || !absl::ascii_isdigit(text_[position_])) return false;
    if (text_[position_] == '0') {
      ++position_;
    } else {
      while (position_ < text_.size() && absl::ascii_isdigit(text_[position_])) ++position_;
    }
    if (position_ < text_.size() && text_[position_] == '.') {
      ++position_;
      if (position_ >= text_.size() || !absl::ascii_isdigit(text_[position_])) return false;
      while (position_ < text_.size() && absl::ascii_isdigit(text_[position_])) ++position_;
    }
    if (position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
      ++position_;
      if (position_ < text_.size() && (text_[position_] == '+' || text_[position_] == '-')) {
        ++position_;
      }
      if (position_ >= text_.size() || !absl::ascii_isdigit(text_[position_])) return false;
      while (position_ < text_.size() && absl::ascii_isdigit(text_[position_])) ++position_;
    }
    return absl::SimpleAtod(text_.substr(start, position_ - start), &out) && std::isfinite(out);
  }

  bool ParseLiteral(absl::string_view word) {
    SkipSpace();
    if (text_.substr(position_, word.size()) != word) return false;
    position_ += word.size();
    return true;
  }

  bool ParseValue(FlatJsonValue& value, int depth) {
    if (depth > max_depth_) return false;
    SkipSpace();
    if (position_ >= text_.size()) return false;
    switch (text_[position_]) {
      case '"':
        value.kind = FlatJsonValue::Kind::kString;
        return ParseString(value.string);
      case 't':
        value.kind = FlatJsonValue::Kind::kBool;
        value.boolean = true;
        return ParseLiteral("true");
      case 'f':
        value.kind = FlatJsonValue::Kind::kBool;
        return ParseLiteral("false");
      case 'n':
        value.kind = FlatJsonValue::Kind::kNull;
        return ParseLiteral("null");
      case '[':
        value.kind = FlatJsonValue::Kind::kArray;
        return ParseArray(value, depth);
      case '{':
        value.kind = FlatJsonValue::Kind::kObject;
        return SkipObject(depth);
      default:
        value.kind = FlatJsonValue::Kind::kNumber;
        return ParseNumber(value.number);
    }
  }

  bool ParseArray(FlatJsonValue& array, int depth) {
    Consume('[');
    if (Consume(']')) return true;
    do {
      if (trailing_commas_ && Peek(']')) break;
      FlatJsonValue element;
      if (!ParseValue(element, depth + 1)) return false;
      if (element.kind == FlatJsonValue::Kind::kString) {
        array.strings.push_back(std::move(element.string));
      }
    } while (Consume(','));
    return Consume(']');
  }

  // Any value, into protobuf's JSON model (Struct, ListValue, scalars).
  bool ParseProtoValue(google::protobuf::Value& value, int depth) {
    if (depth > max_depth_) return false;
    SkipSpace();
    if (position_ >= text_.size()) return false;
    switch (text_[position_]) {
      case '"':
        return ParseString(*value.mutable_string_value());
      case 't':
        value.set_bool_value(true);
        return ParseLiteral("true");
      case 'f':
        value.set_bool_value(false);
        return ParseLiteral("false");
      case 'n':
        value.set_null_value(google::protobuf::NULL_VALUE);
        return ParseLiteral("null");
      case '[': {
        Consume('[');
        google::protobuf::ListValue& list = *value.mutable_list_value();
        if (Consume(']')) return true;
        do {
          if (!ParseProtoValue(*list.add_values(), depth + 1)) return false;
        } while (Consume(','));
        return Consume(']');
      }
      case '{': {
        Consume('{');
        auto& fields = *value.mutable_struct_value()->mutable_fields();
        if (Consume('}')) return true;
        do {
          std::string name;
          google::protobuf::Value member;
          if (!ParseString(name) || !Consume(':') || !ParseProtoValue(member, depth + 1)) {
            return false;
          }
          fields[name] = std::move(member);
        } while (Consume(','));
        return Consume('}');
      }
      default: {
        double number = 0;
        if (!ParseNumber(number)) return false;
        value.set_number_value(number);
        return true;
      }
    }
  }

  bool SkipObject(int depth) {
    Consume('{');
    if (Consume('}')) return true;
    do {
      if (trailing_commas_ && Peek('}')) break;
      std::string name;
      FlatJsonValue ignored;
      if (!ParseString(name) || !Consume(':') || !ParseValue(ignored, depth + 1)) return false;
    } while (Consume(','));
    return Consume('}');
  }

 private:
  bool Hex4(uint32_t& code) {
    if (position_ + 4 > text_.size()) return false;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[position_++];
      code <<= 4;
      if (c >= '0' && c <= '9') {
        code |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        code |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        code |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  static void AppendUtf8(uint32_t code, std::string& out) {
    if (code < 0x80) {
      out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (code >> 6)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (code >> 12)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (code >> 18)));
      out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  absl::string_view text_;
  const int max_depth_;
  const bool trailing_commas_;
  size_t position_ = 0;
};

}  // namespace

absl::StatusOr<FlatJsonObject> FlatJsonObject::Parse(absl::string_view text) {
  Parser parser(text, kMaxFlatDepth);
  FlatJsonObject object;
  const absl::Status malformed = absl::InvalidArgumentError("malformed JSON object");
  if (!parser.Consume('{')) return malformed;
  if (!parser.Consume('}')) {
    do {
      std::string name;
      FlatJsonValue value;
      if (!parser.ParseString(name) || !parser.Consume(':') || !parser.ParseValue(value, 1)) {
        return malformed;
      }
      if (!object.members_.emplace(std::move(name), std::move(value)).second) {
        return absl::InvalidArgumentError("duplicate member in JSON object");
      }
    } while (parser.Consume(','));
    if (!parser.Consume('}')) return malformed;
  }
  if (!parser.AtEnd()) return malformed;
  return object;
}

absl::Status ValidateJson(absl::string_view text, int max_depth, TrailingCommas trailing_commas) {
  Parser parser(text, max_depth, trailing_commas == TrailingCommas::kAllowed);
  FlatJsonValue value;
  if (!parser.ParseValue(value, 1) || !parser.AtEnd()) {
    return absl::InvalidArgumentError("not valid JSON (RFC 8259)");
  }
  return absl::OkStatus();
}

absl::StatusOr<google::protobuf::Value> ParseJsonValue(absl::string_view text, int max_depth) {
  Parser parser(text, max_depth);
  google::protobuf::Value value;
  if (!parser.ParseProtoValue(value, 1) || !parser.AtEnd()) {
    return absl::InvalidArgumentError("not one well-formed JSON value");
  }
  return value;
}

std::string StringMember(const google::protobuf::Struct& object, const std::string& name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? "" : found->second.string_value();
}

double NumberMember(const google::protobuf::Struct& object, const std::string& name) {
  auto found = object.fields().find(name);
  return found == object.fields().end() ? 0 : found->second.number_value();
}

const google::protobuf::Struct* ObjectMember(const google::protobuf::Struct& object,
                                             const std::string& name) {
  auto found = object.fields().find(name);
  if (found == object.fields().end() || !found->second.has_struct_value()) return nullptr;
  return &found->second.struct_value();
}

const FlatJsonValue* FlatJsonObject::Find(absl::string_view name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : &it->second;
}

std::optional<std::string> FlatJsonObject::String(absl::string_view name) const {
  const FlatJsonValue* value = Find(name);
  if (value == nullptr || value->kind != FlatJsonValue::Kind::kString) return std::nullopt;
  return value->string;
}

std::optional<double> FlatJsonObject::Number(absl::string_view name) const {
  const FlatJsonValue* value = Find(name);
  if (value == nullptr || value->kind != FlatJsonValue::Kind::kNumber) return std::nullopt;
  return value->number;
}

}  // namespace todo::common::json
