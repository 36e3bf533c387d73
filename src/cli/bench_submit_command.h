// `suanwang bench submit`: durable job submissions per second through the HTTP API.
#pragma once

#include <string>

namespace suanwang {

struct BenchSubmitOptions {
  int clients = 64;        // concurrent keep-alive connections
  int jobs = 10000;        // total submissions
  std::string url, token;  // default: $SUANWANG_URL, $SUANWANG_TOKEN
  std::string ca;          // default: $SUANWANG_CA, the config file's ca:, HOME/ca.pem
  std::string ids_out;     // write each acknowledged job id, one per line, as acknowledged
  bool json = false;
};

int RunBenchSubmit(const BenchSubmitOptions& options);

}  // namespace suanwang
