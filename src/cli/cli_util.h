// Small helpers shared by the subcommands.
#pragma once

#include <cstdio>

#include "common/error.h"

namespace suanwang {

// Prints "error: <message>" on stderr and returns the exit code for the error.
inline int Fail(const Error& e) {
  std::fprintf(stderr, "error: %s\n", e.message.c_str());
  return ExitCodeFor(e);
}

}  // namespace suanwang
