#pragma once
// A task's working directory is where its agent and whatever runs the task (the local keeper,
// a Slurm batch script) meet. Whoever first creates WORKDIR/.claim (exclusively: O_EXCL, or a
// shell's noclobber) and writes its name there decides: the runner before it runs the
// command, or an agent that restarted and does not know whether a task it was starting ever
// started. So a task the agent gave up (and the server runs again) can never start late: an
// sbatch still in flight when the agent died, say. Creating one file costs the runner no
// process of its own.
#include <string>

namespace suanwang {

inline constexpr char kClaimFile[] = ".claim";  // "agent", or the runner's Slurm id / pid
inline constexpr char kAgentOwner[] = "agent";

enum class ClaimOutcome {
  kAgentHolds,  // the task never started and now never will
  kTaskHolds,   // the task started: ClaimOwner names it
  kError,       // the directory cannot be used (permissions, disk): nothing is known
};

// Called by an agent that saved a task as starting and found no trace of it. Creates WORKDIR
// when missing, and claims it unless the runner did.
ClaimOutcome ClaimForAgent(const std::string& workdir);

// Removes a claim left by an earlier use of the directory, before a fresh start.
void ClearClaim(const std::string& workdir);

// What the holder of WORKDIR's claim wrote; empty when there is no claim (or its holder has not
// written its name within a moment of creating it).
std::string ClaimOwner(const std::string& workdir);

}  // namespace suanwang
