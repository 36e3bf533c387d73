#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <nlohmann/json.hpp>

#include "agent/control_plane_client.h"

namespace suanwang {
namespace {

class HttpControlPlaneClient final : public ControlPlaneClient {
 public:
  HttpControlPlaneClient(const std::string& url, const std::string& token, const std::string& site,
                         const ControlPlaneTls& tls)
      : client_(url, tls.client_cert_file, tls.client_key_file), site_(site) {
    client_.set_keep_alive(true);
    SetTimeout(2000);
    if (!token.empty()) client_.set_bearer_token_auth(token);
    if (!tls.ca_file.empty()) client_.set_ca_cert_path(tls.ca_file);
    client_.enable_server_certificate_verification(true);
    client_.set_socket_options([](socket_t sock) {
      // Close-on-exec before any task is forked (the agent's loop is one thread).
      ::fcntl(sock, F_SETFD, FD_CLOEXEC);
      int one = 1;
      ::setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    });
  }

  bool valid() const { return client_.is_valid(); }

  Result<std::vector<SignedCommand>> FetchDispatches(uint64_t after, size_t limit, Timestamp wait_ms) override {
    SW_TRY(body, Call("GET", "/v1/sites/" + site_ + "/dispatches?after=" + std::to_string(after) + "&limit=" +
                                 std::to_string(limit) + "&wait_ms=" + std::to_string(wait_ms), ""));
    std::vector<SignedCommand> out;
    try {
      const nlohmann::json answer = nlohmann::json::parse(body);
      for (const auto& d : answer.at("dispatches")) {
        out.push_back(SignedCommand{d.at("site").get<std::string>(), d.at("seq").get<uint64_t>(),
                                    d.at("payload").get<std::string>(), d.at("signature").get<std::string>()});
      }
    } catch (const nlohmann::json::exception& e) {
      return MakeError(ErrorCode::kInvalidArgument, std::string("dispatches: unexpected answer: ") + e.what());
    }
    return out;
  }

  Result<HeartbeatAnswer> SendHeartbeat(const Heartbeat& heartbeat) override {
    SW_TRY(body, Call("POST", "/v1/sites/" + site_ + "/heartbeat", FormatHeartbeat(heartbeat)));
    try {
      const nlohmann::json answer = nlohmann::json::parse(body);
      return HeartbeatAnswer{answer.at("lease_ms").get<Timestamp>(), answer.at("log_end").get<uint64_t>()};
    } catch (const nlohmann::json::exception& e) {
      return MakeError(ErrorCode::kInvalidArgument, std::string("heartbeat: unexpected answer: ") + e.what());
    }
  }

  void SetTimeout(Timestamp ms) override {
    const auto timeout = std::chrono::milliseconds(ms);
    client_.set_connection_timeout(timeout);
    client_.set_read_timeout(timeout);
    client_.set_write_timeout(timeout);
  }

  Result<void> SendReports(const ReportBatch& batch) override {
    SW_TRY(body, Call("POST", "/v1/sites/" + site_ + "/reports", FormatReports(batch)));
    (void)body;
    return {};
  }

 private:
  Result<std::string> Call(const std::string& method, const std::string& path, const std::string& body) {
    httplib::Result r = method == "GET" ? client_.Get(path) : client_.Post(path, body, "application/json");
    if (!r) return MakeError(ErrorCode::kUnavailable, method + " " + path + ": " + httplib::to_string(r.error()));
    if (r->status >= 200 && r->status < 300) return r->body;
    std::string detail = r->body;
    auto problem = nlohmann::json::parse(r->body, nullptr, false);
    if (!problem.is_discarded() && problem.contains("detail")) detail = problem["detail"].get<std::string>();
    const std::string what = method + " " + path + ": " + std::to_string(r->status) + " " + detail;
    if (r->status == 401 || r->status == 403) return MakeError(ErrorCode::kPermissionDenied, what);
    if (r->status >= 500 || r->status == 429) return MakeError(ErrorCode::kUnavailable, what);
    return MakeError(ErrorCode::kInvalidArgument, what);
  }

  httplib::Client client_;
  std::string site_;
};

}  // namespace

std::unique_ptr<ControlPlaneClient> MakeHttpControlPlaneClient(const std::string& url, const std::string& token,
                                                               const std::string& site) {
  return std::make_unique<HttpControlPlaneClient>(url, token, site, ControlPlaneTls{});
}

Result<std::unique_ptr<ControlPlaneClient>> MakeHttpControlPlaneClient(const std::string& url, const std::string& token,
                                                                       const std::string& site, const ControlPlaneTls& tls) {
  const bool https = url.starts_with("https://");
  if (tls.client_cert_file.empty() != tls.client_key_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--client-cert and --client-key go together: give both");
  }
  if (!https && !tls.client_cert_file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--client-cert: the server URL " + url + " is not https://");
  }
  auto client = std::make_unique<HttpControlPlaneClient>(url, token, site, tls);
  if (!client->valid()) {
    return MakeError(ErrorCode::kInvalidArgument, "--client-cert '" + tls.client_cert_file + "' / --client-key '" +
                                                      tls.client_key_file + "': cannot load the certificate and key");
  }
  return std::unique_ptr<ControlPlaneClient>(std::move(client));
}

}  // namespace suanwang
