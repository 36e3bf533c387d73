#include "agent/task_claim.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace suanwang {

ClaimOutcome ClaimForAgent(const std::string& workdir) {
  std::error_code ec;
  std::filesystem::create_directories(workdir, ec);
  if (ec) return ClaimOutcome::kError;
  const std::string path = workdir + "/" + kClaimFile;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    const std::string text = std::string(kAgentOwner) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return written ? ClaimOutcome::kAgentHolds : ClaimOutcome::kError;
  }
  if (errno != EEXIST) return ClaimOutcome::kError;
  return ClaimOwner(workdir) == kAgentOwner ? ClaimOutcome::kAgentHolds : ClaimOutcome::kTaskHolds;
}

void ClearClaim(const std::string& workdir) {
  std::error_code ec;
  std::filesystem::remove(workdir + "/" + kClaimFile, ec);
}

std::string ClaimOwner(const std::string& workdir) {
  // The holder writes its name right after creating the file: give it a moment.
  for (int i = 0; i < 20; ++i) {
    std::ifstream in(workdir + "/" + kClaimFile);
    if (!in) return "";
    std::string owner;
    if (in >> owner) return owner;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return "";
}

}  // namespace suanwang
