#include "agent/task_claim.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace suanwang {

ClaimOutcome ClaimForAgent(const std::string& workdir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(workdir, ec);
  if (ec) return ClaimOutcome::kError;
  const std::string staged = workdir + "/" + kClaimDir + ".agent-" + std::to_string(::getpid());
  fs::remove_all(staged, ec);
  fs::create_directory(staged, ec);
  if (ec) return ClaimOutcome::kError;
  if (!(std::ofstream(staged + "/owner") << kAgentOwner << "\n")) return ClaimOutcome::kError;
  const bool won = std::rename(staged.c_str(), (workdir + "/" + kClaimDir).c_str()) == 0;
  fs::remove_all(staged, ec);
  if (won) return ClaimOutcome::kAgentHolds;
  const std::string owner = ClaimOwner(workdir);
  if (owner.empty()) return ClaimOutcome::kError;
  return owner == kAgentOwner ? ClaimOutcome::kAgentHolds : ClaimOutcome::kTaskHolds;
}

void ClearClaim(const std::string& workdir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(workdir, ec)) {
    if (entry.path().filename().string().starts_with(kClaimDir)) std::filesystem::remove_all(entry.path(), ec);
  }
}

std::string ClaimOwner(const std::string& workdir) {
  std::ifstream in(workdir + "/" + kClaimOwnerFile);
  std::string owner;
  in >> owner;
  return owner;
}

}  // namespace suanwang
