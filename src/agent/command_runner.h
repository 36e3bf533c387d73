// The seam between the Slurm executor and the Slurm commands it runs (sbatch, squeue, scontrol,
// scancel): the real runner starts processes; tests replay captured output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/time.h"

namespace suanwang {

struct CommandOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Runs argv (argv[0] looked up on PATH) with no input and waits for it. A non-zero exit is
  // not an error (it is in exit_code). Errors: kUnavailable when it cannot be started or does
  // not finish within the runner's timeout (it is then killed).
  virtual Result<CommandOutput> Run(const std::vector<std::string>& argv) = 0;
  // Runs several commands, up to `parallel` at a time; results in the order given.
  virtual std::vector<Result<CommandOutput>> RunMany(const std::vector<std::vector<std::string>>& commands,
                                                     int parallel);
};

std::unique_ptr<CommandRunner> MakeProcessRunner(Timestamp timeout_ms = 30000);

}  // namespace suanwang
