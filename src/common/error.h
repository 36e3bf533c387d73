// Error values and Result<T>: the one way modules report failures a caller can handle.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace suanwang {

enum class ErrorCode {
  kInvalidArgument,   // the input is malformed or out of range
  kNotFound,          // a named thing does not exist
  kConflict,          // the request contradicts current state
  kBusy,              // cannot be done now, may succeed later
  kUnsatisfiable,     // can never be done with the current configuration
  kUnavailable,       // a dependency (file, service) cannot be reached
  kPermissionDenied,  // the caller may not do this
  kInternal,          // a bug; the message says where
};

// A failure with a message that names the thing and the reason.
struct Error {
  ErrorCode code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

std::string_view ErrorCodeName(ErrorCode code);

// Process exit code for an error at the CLI boundary: 2 for bad input, 1 otherwise.
int ExitCodeFor(const Error& error);

}  // namespace suanwang
