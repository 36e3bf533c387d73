// `suanwang bench running`: how long from a submission to its task running on an agent.
#pragma once

#include <string>

namespace suanwang {

struct BenchRunningOptions {
  int jobs = 100;          // submitted one after another, each followed until it runs
  int max_gap_ms = 100;    // a random pause of 0..max_gap_ms before each submission
  int seed = 42;
  std::string url, token;  // default: $SUANWANG_URL, $SUANWANG_TOKEN
  std::string ca;          // default: $SUANWANG_CA, the config file's ca:, HOME/ca.pem
  bool json = false;
};

// Per job: the client's time from sending the submission to first seeing state "running"
// (polled every 2 ms), and the server's own (the job's running time minus its submit time,
// both stamped by the server). Prints medians and percentiles. Exit 1 if a job never ran.
int RunBenchRunning(const BenchRunningOptions& options);

}  // namespace suanwang
