#include "cli/server_command.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/cli_util.h"
#include "cli/data_path.h"

namespace suanwang {

namespace {

// 127.0.0.0/8 or ::1.
bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace

std::string ServerHome(const std::string& flag) {
  if (!flag.empty()) return flag;
  return std::getenv("SUANWANG_HOME") ? std::getenv("SUANWANG_HOME") : ".suanwang";
}

Result<RunningServer> StartServer(const ServerOptions& o, const Clock& clock) {
  const auto colon = o.listen.rfind(':');
  if (colon == std::string::npos || o.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos ||
      colon + 1 == o.listen.size() || o.listen.size() - colon - 1 > 5 || std::stoul(o.listen.substr(colon + 1)) > 65535) {
    return MakeError(ErrorCode::kInvalidArgument, "--listen '" + o.listen + "': expected HOST:PORT with PORT in 0..65535");
  }
  const std::string host = o.listen.substr(0, colon);
  const bool tls = !o.tls_cert.empty() || !o.tls_key.empty();
  if (tls && (o.tls_cert.empty() || o.tls_key.empty())) {
    return MakeError(ErrorCode::kInvalidArgument, "--tls-cert and --tls-key go together: give both");
  }
  if (!tls && !o.client_ca.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--client-ca needs TLS: give --tls-cert and --tls-key too");
  }
  if (!tls && !o.insecure_http && !IsLoopback(host)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--listen '" + o.listen +
                         "': plain HTTP is served on a loopback address only (127.0.0.1, ::1); give --tls-cert and "
                         "--tls-key, or --insecure-http to send tokens in clear");
  }
  if (o.max_connections_per_client < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "--max-connections-per-client must be at least 1");
  }
  RunningServer running;
  running.home = ServerHome(o.home);
  // What the server writes (database, WAL, keys, tokens, logs) is its own: files 0600,
  // folders 0700, the home itself too.
  ::umask(077);
  std::error_code ec;
  std::filesystem::create_directories(running.home, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "--home '" + running.home + "': cannot create: " + ec.message());
  std::filesystem::permissions(running.home, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "--home '" + running.home + "': cannot make it private: " + ec.message());
  ControlPlaneOptions plane_options;
  plane_options.store_url = o.store.empty() ? "sqlite://" + running.home + "/suanwang.db" : o.store;
  plane_options.network_path = o.network.empty() ? DataPath("networks/china-hubs.yaml") : o.network;
  plane_options.node_policy = o.policy;
  SW_TRY(weights, ParseCostWeights(o.weights));
  plane_options.cost_weights = weights;
  plane_options.data_dir = DataDir();
  plane_options.admin_token_file = running.home + "/admin.token";
  plane_options.signing_key_file = running.home + "/dispatch.key";
  plane_options.rate_limit_per_s = o.rate_limit;
  plane_options.rate_limit_burst = o.rate_limit_burst > 0 ? o.rate_limit_burst : 2 * o.rate_limit;
  plane_options.lease_ms = o.lease_ms;
  plane_options.served_sites = o.sites;
  plane_options.agent_token_dir = running.home + "/agents";  // one credential per served site
  plane_options.market_slot_s = o.market_slot_s;
  running.store_url = plane_options.store_url;
  SW_TRY(plane, ControlPlane::Open(plane_options, clock));
  running.plane = std::move(plane);
  HttpServerOptions http;
  http.host = host;
  http.port = static_cast<unsigned short>(std::stoul(o.listen.substr(colon + 1)));
  http.tls_certificate_file = o.tls_cert;
  http.tls_key_file = o.tls_key;
  http.client_ca_file = o.client_ca;
  http.max_connections_per_client = o.max_connections_per_client;
  ControlPlane* handler = running.plane.get();
  // Limits before trust: a request without a valid credential is refused before its body is read.
  http.pre_body_check = [handler](const HttpRequest& head) { return handler->Admit(head); };
  SW_TRY(server, HttpServer::Start(http, [handler](const HttpRequest& r) { return handler->Handle(r); }));
  running.http = std::move(server);
  const std::string url_host = http.host.find(':') != std::string::npos ? "[" + http.host + "]" : http.host;
  running.url = (tls ? "https://" : "http://") + url_host + ":" + std::to_string(running.http->port());
  return running;
}

void PublishUrl(const RunningServer& server) {
  // Written atomically: readers never see a half-written URL.
  std::ofstream(server.home + "/url.tmp") << server.url << "\n";
  std::error_code ec;
  std::filesystem::rename(server.home + "/url.tmp", server.home + "/url", ec);
}

void WithdrawUrl(const RunningServer& server) {
  std::error_code ec;
  std::filesystem::remove(server.home + "/url", ec);
}

int RunServer(const ServerOptions& o) {
  // Signals go to one thread that asks the server to stop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemClock clock;
  auto server = StartServer(o, clock);
  if (!server) return Fail(server.error());
  PublishUrl(*server);
  std::printf("suanwang server listening on %s (store %s)\n", server->url.c_str(), server->store_url.c_str());
  std::fflush(stdout);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server->http->Stop();
  });
  server->http->Run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if Run ended otherwise
  waiter.join();
  WithdrawUrl(*server);
  std::printf("suanwang server stopped\n");
  return 0;
}

}  // namespace suanwang
