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

// Early return of an error from a function returning Result<...>:
//   SW_TRY(value, Compute());   // declares `value` (the unwrapped result) or returns the error
//   SW_CHECK(Validate());       // for Result<void>
#define SW_TRY(var, expr)                                \
  auto var##_result = (expr);                            \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  auto var = std::move(*var##_result)

#define SW_CHECK(expr)                                          \
  do {                                                          \
    auto sw_check_result = (expr);                              \
    if (!sw_check_result) return std::unexpected(sw_check_result.error()); \
  } while (0)

}  // namespace suanwang
