// Checks on text that comes from outside (request bodies, headers, files): whether it is
// valid UTF-8 and free of control characters, with the offset of the first bad byte, so that
// the edge can refuse it naming the field instead of letting an encoder fail later.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace suanwang {

// The byte offset of the first byte that does not start a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or nullopt
// when `text` is valid UTF-8.
std::optional<size_t> InvalidUtf8At(std::string_view text);

enum class ControlChars {
  kNone,        // no C0 control character nor DEL at all
  kWhitespace,  // tab, line feed and carriage return only
};

// The first byte that makes `text` unacceptable as a value from outside, and why.
struct TextFault {
  size_t offset = 0;
  std::string reason;  // "invalid UTF-8 at byte 3", "control character 0x00 at byte 7"
};
// Nothing when `text` is valid UTF-8 with only the control characters `allowed` permits.
std::optional<TextFault> FirstTextFault(std::string_view text, ControlChars allowed);
// FirstTextFault's reason, or "".
std::string TextProblem(std::string_view text, ControlChars allowed);

// `text` with every ill-formed UTF-8 sequence replaced by U+FFFD, for messages that quote
// input back (a message must itself be valid UTF-8).
std::string SanitizedUtf8(std::string_view text);

}  // namespace suanwang
