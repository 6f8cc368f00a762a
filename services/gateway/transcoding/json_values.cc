#include "services/gateway/transcoding/json_values.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/stubs/strutil.h"

namespace todo::gateway::transcoding {
namespace {

namespace pb = google::protobuf;

// The converter's fractional seconds: none, or 3, 6 or 9 digits.
void AppendNanos(int32_t nanos, std::string& out) {
  if (nanos == 0) return;
  if (nanos % 1'000'000 == 0) {
    absl::StrAppend(&out, ".", absl::Dec(nanos / 1'000'000, absl::kZeroPad3));
  } else if (nanos % 1'000 == 0) {
    absl::StrAppend(&out, ".", absl::Dec(nanos / 1'000, absl::kZeroPad6));
  } else {
    absl::StrAppend(&out, ".", absl::Dec(nanos, absl::kZeroPad9));
  }
}

// The code points beyond ASCII that protobuf's JsonEscaping writes as \u
// escapes (C1 controls and invisible formatting characters), found by
// printing every code point through the converter.
bool EscapedByProtobuf(uint32_t code_point) {
  static constexpr std::pair<uint32_t, uint32_t> kRanges[] = {
      {0x80, 0x9F},       {0xAD, 0xAD},       {0x600, 0x603},    {0x6DD, 0x6DD},
      {0x70F, 0x70F},     {0x17B4, 0x17B5},   {0x200B, 0x200F},  {0x2028, 0x202E},
      {0x2060, 0x2064},   {0x206A, 0x206F},   {0xFEFF, 0xFEFF},  {0xFFF9, 0xFFFB},
      {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}};
  for (const auto& [first, last] : kRanges) {
    if (code_point >= first && code_point <= last) return true;
  }
  return false;
}

template <typename T>
void AppendFloating(T value, std::string& out) {
  if (std::isnan(value)) {
    out += "\"NaN\"";
  } else if (std::isinf(value)) {
    out += value > 0 ? "\"Infinity\"" : "\"-Infinity\"";
  } else if constexpr (std::is_same_v<T, float>) {
    out += pb::SimpleFtoa(value);
  } else {
    out += pb::SimpleDtoa(value);
  }
}

}  // namespace

bool IsWrapperType(absl::string_view name) {
  return name == "google.protobuf.DoubleValue" || name == "google.protobuf.FloatValue" ||
         name == "google.protobuf.Int64Value" || name == "google.protobuf.UInt64Value" ||
         name == "google.protobuf.Int32Value" || name == "google.protobuf.UInt32Value" ||
         name == "google.protobuf.BoolValue" || name == "google.protobuf.StringValue" ||
         name == "google.protobuf.BytesValue";
}

bool AppendProtobufJsonString(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80) {
      size_t length = 0;
      uint32_t code_point = 0;
      if ((byte & 0xE0) == 0xC0) {
        length = 2;
        code_point = byte & 0x1F;
      } else if ((byte & 0xF0) == 0xE0) {
        length = 3;
        code_point = byte & 0x0F;
      } else if ((byte & 0xF8) == 0xF0) {
        length = 4;
        code_point = byte & 0x07;
      } else {
        return false;
      }
      if (i + length > text.size()) return false;
      for (size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return false;
        code_point = code_point << 6 | (next & 0x3F);
      }
      const uint32_t smallest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
      if (code_point < smallest || code_point > 0x10FFFF ||
          (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return false;  // overlong, out of range, or a surrogate
      }
      if (!EscapedByProtobuf(code_point)) {
        out.append(text.data() + i, length);
      } else if (code_point < 0x10000) {
        absl::StrAppendFormat(&out, "\\u%04x", code_point);
      } else {
        const uint32_t offset = code_point - 0x10000;
        absl::StrAppendFormat(&out, "\\u%04x\\u%04x", 0xD800 + (offset >> 10),
                              0xDC00 + (offset & 0x3FF));
      }
      i += length;
      continue;
    }
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      default:
        if (byte < 0x20 || byte == 0x7F) {
          absl::StrAppendFormat(&out, "\\u%04x", byte);
        } else {
          out.push_back(static_cast<char>(byte));
        }
    }
    ++i;
  }
  out.push_back('"');
  return true;
}

void AppendJsonNumber(double value, std::string& out) { AppendFloating(value, out); }

void AppendJsonNumber(float value, std::string& out) { AppendFloating(value, out); }

bool AppendTimestamp(int64_t seconds, int32_t nanos, std::string& out) {
  // 0001-01-01 .. 9999-12-31, valid nanos; the year always has four digits.
  if (seconds < -62135596800 || seconds > 253402300799 || nanos < 0 || nanos > 999'999'999) {
    return false;
  }
  // Civil arithmetic from the epoch: the same date as a UTC time zone
  // lookup, without one (it and a format string per timestamp showed in
  // profiles; a printed response may hold hundreds of timestamps).
  const absl::CivilSecond civil = absl::CivilSecond(1970, 1, 1, 0, 0, 0) + seconds;
  absl::StrAppend(
      &out, "\"", absl::Dec(civil.year(), absl::kZeroPad4), "-",
      absl::Dec(civil.month(), absl::kZeroPad2), "-", absl::Dec(civil.day(), absl::kZeroPad2), "T",
      absl::Dec(civil.hour(), absl::kZeroPad2), ":", absl::Dec(civil.minute(), absl::kZeroPad2),
      ":", absl::Dec(civil.second(), absl::kZeroPad2));
  AppendNanos(nanos, out);
  out += "Z\"";
  return true;
}

bool AppendDuration(int64_t seconds, int32_t nanos, std::string& out) {
  if (seconds < -315'576'000'000 || seconds > 315'576'000'000 || nanos < -999'999'999 ||
      nanos > 999'999'999 || (seconds < 0 && nanos > 0) || (seconds > 0 && nanos < 0)) {
    return false;
  }
  out.push_back('"');
  if (seconds < 0 || nanos < 0) {
    out.push_back('-');
    seconds = -seconds;
    nanos = -nanos;
  }
  absl::StrAppend(&out, seconds);
  AppendNanos(nanos, out);
  out += "s\"";
  return true;
}

}  // namespace todo::gateway::transcoding
