#include "common/text.h"

#include <cstdio>

namespace suanwang {
namespace {

// The length of the well-formed sequence at text[i], or 0 (RFC 3629, Unicode table 3-7).
size_t SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::optional<size_t> InvalidUtf8At(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::optional<TextFault> FirstTextFault(std::string_view text, ControlChars allowed) {
  const std::optional<size_t> invalid = InvalidUtf8At(text);
  const size_t end = invalid.value_or(text.size());
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7F) continue;
    if (allowed == ControlChars::kWhitespace && (c == '\t' || c == '\n' || c == '\r')) continue;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", c);
    return TextFault{i, std::string("control character ") + hex + " at byte " + std::to_string(i)};
  }
  if (invalid) return TextFault{*invalid, "invalid UTF-8 at byte " + std::to_string(*invalid)};
  return std::nullopt;
}

std::string TextProblem(std::string_view text, ControlChars allowed) {
  auto fault = FirstTextFault(text, allowed);
  return fault ? fault->reason : "";
}

std::string SanitizedUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = SequenceLength(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace suanwang
