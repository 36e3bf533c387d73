// What the harnesses share besides the driver: a check that turns a broken property into a
// crash afl-fuzz records (abort), and the input as text.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace suanwang::fuzz {

// A property every input must keep (a round trip, a well-formed answer); false: report, abort.
#define SW_FUZZ_CHECK(cond, what)                                                      \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s: %s\n", __FILE__, __LINE__, \
                   #cond, std::string(what).c_str());                                 \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

inline std::string Text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A path for loaders that read files, in $SW_FUZZ_SCRATCH or /dev/shm (tmpfs), unique to this
// process: afl-fuzz runs one process per input. The caller removes the file.
std::string ScratchPath(const std::string& name);

}  // namespace suanwang::fuzz
