// The user commands: submit, jobs, job, cancel. They talk to a server's API.
// Exit codes: 0 success; 1 the server failed (5xx); 2 the request was refused (4xx) or the
// input is bad; 3 the server cannot be reached.
#pragma once

#include <string>

namespace suanwang {

struct ClientOptions {
  std::string url, token;      // default: $SUANWANG_URL / $SUANWANG_TOKEN
  std::string output = "table";  // table | json | yaml
};

int RunSubmit(const ClientOptions& options, const std::string& file, const std::string& idempotency_key);
int RunJobs(const ClientOptions& options, const std::string& state, bool all);
int RunJob(const ClientOptions& options, const std::string& id);
int RunCancel(const ClientOptions& options, const std::string& id);

}  // namespace suanwang
