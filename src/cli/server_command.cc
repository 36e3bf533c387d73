#include "cli/server_command.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/cli_util.h"
#include "cli/data_path.h"
#include "server/control_plane.h"
#include "server/http_server.h"

namespace suanwang {

int RunServer(const ServerOptions& o) {
  const auto colon = o.listen.rfind(':');
  if (colon == std::string::npos || o.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
      colon + 1 == o.listen.size() || o.listen.size() - colon - 1 > 5 || std::stoul(o.listen.substr(colon + 1)) > 65535) {
    std::fprintf(stderr, "error: --listen '%s': expected HOST:PORT with PORT in 0..65535\n", o.listen.c_str());
    return 2;
  }
  std::string home = o.home;
  if (home.empty()) home = std::getenv("SUANWANG_HOME") ? std::getenv("SUANWANG_HOME") : ".suanwang";
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  if (ec) {
    std::fprintf(stderr, "error: --home '%s': cannot create: %s\n", home.c_str(), ec.message().c_str());
    return 2;
  }
  ControlPlaneOptions plane_options;
  plane_options.store_url = o.store.empty() ? "sqlite://" + home + "/suanwang.db" : o.store;
  plane_options.network_path = o.network.empty() ? DataPath("networks/china-hubs.yaml") : o.network;
  plane_options.node_policy = o.policy;
  plane_options.admin_token_file = home + "/admin.token";
  plane_options.signing_key_file = home + "/dispatch.key";
  plane_options.rate_limit_per_s = o.rate_limit;
  plane_options.rate_limit_burst = o.rate_limit_burst > 0 ? o.rate_limit_burst : 2 * o.rate_limit;
  plane_options.lease_ms = o.lease_ms;
  plane_options.served_sites = o.sites;

  // Signals go to one thread that asks the server to stop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemClock clock;
  auto plane = ControlPlane::Open(plane_options, clock);
  if (!plane) return Fail(plane.error());
  HttpServerOptions http;
  http.host = o.listen.substr(0, colon);
  http.port = static_cast<unsigned short>(std::stoul(o.listen.substr(colon + 1)));
  auto server = HttpServer::Start(http, [&](const HttpRequest& r) { return (*plane)->Handle(r); });
  if (!server) return Fail(server.error());
  const std::string url = "http://" + http.host + ":" + std::to_string((*server)->port());
  {
    // Written atomically: readers never see a half-written URL.
    std::ofstream(home + "/url.tmp") << url << "\n";
    std::filesystem::rename(home + "/url.tmp", home + "/url", ec);
  }
  std::printf("suanwang server listening on %s (store %s)\n", url.c_str(), plane_options.store_url.c_str());
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    (*server)->Stop();
  });
  (*server)->Run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if Run ended otherwise
  waiter.join();
  std::filesystem::remove(home + "/url", ec);
  std::printf("suanwang server stopped\n");
  return 0;
}

}  // namespace suanwang
