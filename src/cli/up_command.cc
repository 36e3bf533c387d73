#include "cli/up_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "cli/cli_util.h"
#include "security/local_ca.h"

namespace suanwang {
namespace {

std::string SelfPath() {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "suanwang";
}

// The files of up's local CA, under HOME: HOME/ca.pem (the CA certificate clients verify the
// server with), HOME/tls/ca.key, HOME/tls/server.{pem,key} (127.0.0.1, ::1, localhost) and
// HOME/tls/agents/SITE.{pem,key} (client certificates, CN "site:SITE").
struct UpTls {
  bool enabled = false;
  std::string ca;  // HOME/ca.pem
  std::string home;
  std::string AgentCert(const std::string& site) const { return home + "/tls/agents/" + site + ".pem"; }
  std::string AgentKey(const std::string& site) const { return home + "/tls/agents/" + site + ".key"; }
};

// Creates (once; reused on restart) the local CA, the server's certificate and each site's
// agent certificate, and points the server at them.
Result<UpTls> SetUpTls(const std::string& home, const std::vector<std::string>& sites, ServerOptions& server) {
  UpTls tls;
  tls.enabled = true;
  tls.home = home;
  tls.ca = home + "/ca.pem";
  SW_TRY(ca, LocalCa::LoadOrCreate(tls.ca, home + "/tls/ca.key", "suanwang local CA"));
  const LeafCertificateSpec server_spec{"localhost", {"localhost"}, {"127.0.0.1", "::1"}, true};
  SW_CHECK(ca.EnsureLeaf(server_spec, home + "/tls/server.pem", home + "/tls/server.key"));
  for (const std::string& site : sites) {
    SW_CHECK(ca.EnsureLeaf(LeafCertificateSpec{"site:" + site, {}, {}, false}, tls.AgentCert(site), tls.AgentKey(site)));
  }
  server.tls_cert = home + "/tls/server.pem";
  server.tls_key = home + "/tls/server.key";
  server.client_ca = tls.ca;
  return tls;
}

// Starts `suanwang agent` for one site as a child process with the default signal mask, no
// file descriptor above 2, and SIGTERM when this process ends (kill -9 included).
pid_t SpawnAgent(const std::string& self, const std::string& site, const std::string& home, const std::string& url,
                 int64_t poll_ms, int64_t wait_ms, bool slurm, const UpTls& tls, bool unconfined) {
  // Everything the child needs is built before fork: after it, only system calls.
  std::vector<std::string> args = {self, "agent", "--site", site, "--home", home, "--url", url,
                                   "--poll-ms", std::to_string(poll_ms), "--wait-ms", std::to_string(wait_ms),
                                   "--executor", slurm ? "slurm" : "local"};
  if (tls.enabled) {
    args.insert(args.end(), {"--ca", tls.ca, "--client-cert", tls.AgentCert(site), "--client-key", tls.AgentKey(site)});
  }
  if (unconfined) args.push_back("--unconfined");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  static const char kExecFailed[] = "suanwang up: cannot start an agent: exec failed\n";
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  // The agent ends with this thread (the one that started it); if that already happened, now.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(0);
  // Nothing of up's (the listener, accepted connections, the database) leaks into the agent.
  ::close_range(3, ~0U, 0);
  // On one machine the agents and their tasks yield to the server: the API stays responsive
  // while a burst of jobs runs.
  [[maybe_unused]] int niceness = ::nice(10);
  ::execv(self.c_str(), argv.data());
  [[maybe_unused]] ssize_t ignored = ::write(2, kExecFailed, sizeof kExecFailed - 1);
  ::_exit(127);
}

// Stops the agents: SIGTERM, then SIGKILL for any still there after `grace`.
void StopAgents(std::map<pid_t, std::string>& agents, std::chrono::milliseconds grace) {
  for (const auto& [pid, site] : agents) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!agents.empty() && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      agents.erase(done);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  for (const auto& [pid, site] : agents) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  agents.clear();
}

}  // namespace

int RunUp(const UpOptions& o) {
  if (!o.slurm_site.empty()) {
    if (std::find(o.sites.begin(), o.sites.end(), o.slurm_site) == o.sites.end()) {
      std::fprintf(stderr, "error: --slurm-site '%s' is not one of --sites\n", o.slurm_site.c_str());
      return 2;
    }
    if (std::system("sinfo --noheader >/dev/null 2>&1") != 0) {
      std::fprintf(stderr,
                   "error: --slurm: no Slurm cluster answers (sinfo failed). Start one with scripts/slurm-start and "
                   "export the SLURM_CONF it prints.\n");
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerOptions server_options = o.server;
  server_options.sites = o.sites;
  const std::string home = ServerHome(o.server.home);
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) return Fail(Error{ErrorCode::kInvalidArgument, "--home '" + home + "': cannot create: " + ec.message()});
  ::chmod(home.c_str(), 0700);
  UpTls tls;
  if (o.insecure_http) {
    server_options.insecure_http = true;
  } else {
    auto made = SetUpTls(home, o.sites, server_options);
    if (!made) return Fail(made.error());
    tls = *made;
  }
  SystemClock clock;
  auto server = StartServer(server_options, clock);
  if (!server) return Fail(server.error());
  std::thread http([&] { server->http->Run(); });

  const std::string self = SelfPath();
  std::map<pid_t, std::string> agents;
  for (const std::string& site : o.sites) agents[SpawnAgent(self, site, server->home, server->url, o.poll_ms, o.wait_ms, site == o.slurm_site, tls, o.unconfined)] = site;

  std::string token;
  std::ifstream(server->home + "/admin.token") >> token;
  PublishUrl(*server);
  std::printf("suanwang up: server %s, store %s\n", server->url.c_str(), server->store_url.c_str());
  std::printf("  agents for sites:");
  for (const std::string& site : o.sites) std::printf(" %s (%s)", site.c_str(), site == o.slurm_site ? "Slurm" : "local");
  const std::string shown = token.empty() ? "(in " + server->home + "/admin.token)" : token;
  std::printf("\n  admin token: %s\n", shown.c_str());
  if (tls.enabled) {
    std::printf("  try: export SUANWANG_URL=%s SUANWANG_TOKEN=$(cat %s/admin.token) SUANWANG_CA=%s; %s sites\n",
                server->url.c_str(), server->home.c_str(), tls.ca.c_str(), self.c_str());
  } else {
    std::printf("  try: export SUANWANG_URL=%s SUANWANG_TOKEN=$(cat %s/admin.token); %s sites\n",
                server->url.c_str(), server->home.c_str(), self.c_str());
  }
  std::printf("  Ctrl-C stops the agents and the server.\n");
  std::fflush(stdout);

  // Wait for a signal; restart an agent that died on its own (at most once a second per site).
  std::map<std::string, std::chrono::steady_clock::time_point> last_start;
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    if (sigtimedwait(&signals, nullptr, &tick) > 0) break;
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done <= 0 || !agents.contains(done)) continue;
    const std::string site = agents[done];
    agents.erase(done);
    std::fprintf(stderr, "suanwang up: the agent for %s ended (status %d); starting it again\n", site.c_str(), status);
    auto& last = last_start[site];
    if (std::chrono::steady_clock::now() - last < std::chrono::seconds(1)) std::this_thread::sleep_for(std::chrono::seconds(1));
    last = std::chrono::steady_clock::now();
    agents[SpawnAgent(self, site, server->home, server->url, o.poll_ms, o.wait_ms, site == o.slurm_site, tls, o.unconfined)] = site;
  }
  std::printf("suanwang up: stopping\n");
  std::fflush(stdout);
  StopAgents(agents, std::chrono::milliseconds(8000));
  server->http->Stop();
  http.join();
  WithdrawUrl(*server);
  std::printf("suanwang up: stopped\n");
  return 0;
}

}  // namespace suanwang
