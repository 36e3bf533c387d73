// `suanwang sim ...`: thin wiring from command-line options to the simulator.
#pragma once

#include <string>
#include <vector>

namespace suanwang {

struct SimInflateOptions {
  std::string nodes;
  std::vector<std::string> pods;
  std::vector<std::string> policies;
  std::string seeds = "42";
  int target = 130;
  std::string out;
  unsigned jobs = 0;  // 0: one per core
  bool progress = true;
};

struct SimReplayOptions {
  std::string scenario;  // a green scenario file: the options below except out/progress are unused
  size_t max_jobs = 0;
  unsigned jobs = 0;
  std::string network;  // empty: the shipped default network
  std::string pods;     // empty: the shipped openb default trace
  std::string nodes;    // empty: the network's own inventory
  std::string policy = "fgd";
  double speedup = 1.0;
  unsigned long long seed = 42;
  bool preemption = false;
  int backfill_depth = 256;
  std::string out;
  bool progress = true;
};

struct SimExplainOptions {
  std::string job;       // job file (YAML or JSON)
  std::string network;   // empty: the shipped default network
  std::string policy = "fgd-lookahead";
};

// Returns the process exit code: 0, 2 for bad input, 1 for other failures.
int RunSimExplain(const SimExplainOptions& options);
int RunSimInflate(const SimInflateOptions& options);
int RunSimReplay(const SimReplayOptions& options);
int RunSimPolicies();

// "42-51", "1,2,7-9" -> seeds. Empty on a malformed list (the caller reports it).
std::vector<unsigned long long> ParseSeedList(const std::string& text);

}  // namespace suanwang
