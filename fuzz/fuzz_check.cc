#include "fuzz_check.h"

#include <unistd.h>

namespace suanwang::fuzz {

std::string ScratchPath(const std::string& name) {
  // scripts/fuzz gives each run its own folder (and removes it after); else /dev/shm.
  const char* dir = std::getenv("SW_FUZZ_SCRATCH");
  return std::string(dir && *dir ? dir : "/dev/shm") + "/sw-fuzz-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace suanwang::fuzz
