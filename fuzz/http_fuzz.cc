// HTTP request handling up to the handler: the bytes a client sends on one connection, parsed
// by Boost.Beast with the server's limits, turned into the HttpRequest the control plane sees
// by the server's own RequestFromHead (server/request_head.h), past the pre-body check
// (ControlPlane::Admit), answered by ControlPlane::Handle, and the answer serialised as the
// server would send it.
//
// Each input opens a fresh control plane (SQLite in scratch space on /dev/shm, the network
// data/networks/china-hubs.yaml, the energy catalogues in data/) and reads the admin token it
// writes: afl-g++'s classic instrumentation forks a fresh process per input (no persistent
// mode), so nothing survives from one input to the next. The first byte is flags:
//   bit 0  requests without an Authorization header get the admin token's
// and "@TOKEN@" anywhere in the rest is replaced by that token (the seeds use it). The rest is
// the connection's bytes: up to kMaxRequests pipelined requests, until one does not parse or
// asks to close. After them the harness lists the jobs as the admin, and when anything was
// created it reopens the store (recovery reads back what the input stored) and lists again.
//
// Findings: an exception out of Handle (the real server dies of it), an answer Beast cannot
// send safely (a status outside 100..599, CR or LF in a header), a JSON answer that is not
// JSON, and what ASan/UBSan see.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fuzz_check.h"
#include "common/text.h"
#include "server/control_plane.h"
#include "server/request_head.h"

using namespace suanwang;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// server/http_server.h: HttpServerOptions::max_body_bytes and unauthenticated_body_bytes (the
// defaults `suanwang server` uses); a longer body is answered 413 unread and ends the connection.
constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr size_t kUnauthenticatedBodyBytes = 64 << 10;
constexpr int kMaxRequests = 8;
constexpr Timestamp kNow = 1767225600000;  // 2026-01-01 00:00 UTC: a fixed clock, repeatable runs

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string Describe(const HttpRequest& r) {
  std::string out = r.method + " " + r.target;
  for (const auto& [k, v] : r.headers) out += "\n  " + k + ": " + v;
  return out + "\n  body " + std::to_string(r.body.size()) + " bytes";
}

// What the server would send for `response`: a finding when Beast could not send it safely
// (a status outside 100..599, CR or LF in a header) or a JSON answer is not JSON.
void Check(const HttpResponse& response, const HttpRequest& request) {
  SW_FUZZ_CHECK(response.status >= 100 && response.status <= 599, std::to_string(response.status));
  for (const auto& [k, v] : response.headers) {
    SW_FUZZ_CHECK(k.find_first_of("\r\n:") == std::string::npos && v.find_first_of("\r\n") == std::string::npos,
                  "header '" + k + "' of the answer to " + Describe(request));
  }
  SW_FUZZ_CHECK(response.content_type.find_first_of("\r\n") == std::string::npos, response.content_type);
  if (response.content_type.find("json") != std::string::npos) {
    SW_FUZZ_CHECK(nlohmann::json::accept(response.body), response.body + "\nrequest: " + Describe(request));
  }
  // As server/http_server.cc sends it.
  http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
  res.set(http::field::server, "suanwang");
  res.set(http::field::content_type, response.content_type);
  for (const auto& [k, v] : response.headers) res.set(k, v);
  res.body() = response.body;
  res.prepare_payload();
  std::ostringstream wire;
  wire << res;
  if (std::getenv("SW_FUZZ_VERBOSE")) {
    std::fprintf(stderr, "%s\n-> %d %s\n", Describe(request).c_str(), response.status, response.body.substr(0, 300).c_str());
  }
}

// Handle, with an exception turned into a finding that names the request.
HttpResponse Call(ControlPlane& plane, const HttpRequest& request) {
  HttpResponse response;
  try {
    response = plane.Handle(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception out of ControlPlane::Handle: %s\nrequest: %s\n", e.what(), Describe(request).c_str());
    std::abort();
  }
  Check(response, request);
  return response;
}

HttpRequest Admin(const std::string& method, const std::string& target, const std::string& token) {
  HttpRequest r;
  r.method = method;
  r.target = target;
  r.headers["authorization"] = "Bearer " + token;
  return r;
}

class Scratch {
 public:
  Scratch() : dir_(fuzz::ScratchPath("http")) { std::filesystem::create_directories(dir_); }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

ControlPlaneOptions Options(const Scratch& scratch) {
  ControlPlaneOptions o;
  o.store_url = "sqlite://" + scratch.dir() + "/suanwang.db";
  o.network_path = SW_SOURCE_DIR "/data/networks/china-hubs.yaml";
  o.data_dir = SW_SOURCE_DIR "/data";
  o.admin_token_file = scratch.dir() + "/admin.token";
  o.signing_key_file = scratch.dir() + "/dispatch.key";
  return o;
}

std::unique_ptr<ControlPlane> Open(const ControlPlaneOptions& options, const Clock& clock) {
  Result<std::unique_ptr<ControlPlane>> plane = ControlPlane::Open(options, clock);
  SW_FUZZ_CHECK(plane.has_value(), plane ? "" : plane.error().message);
  return std::move(*plane);
}

// Parses one request off the front of `wire` (Beast, the server's limits). nullopt: the
// server would end the connection (malformed, incomplete, or a body over the limit: 400, 413).
std::optional<http::request<http::string_body>> ParseOne(std::string_view& wire) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  beast::error_code ec;
  size_t used = 0;
  while (!parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(wire.data() + used, wire.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      if (n > 0 && used < wire.size()) continue;
      parser.put_eof(ec);  // the client sent no more
      if (ec) return std::nullopt;
      break;
    }
    if (ec) return std::nullopt;
  }
  wire.remove_prefix(used);
  return parser.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool add_token = (data[0] & 1) != 0;
  Scratch scratch;
  const ControlPlaneOptions options = Options(scratch);
  ManualClock clock(kNow);
  std::unique_ptr<ControlPlane> plane = Open(options, clock);
  std::ifstream token_file(options.admin_token_file);
  std::string token;
  std::getline(token_file, token);
  SW_FUZZ_CHECK(!token.empty(), "no admin token in " + options.admin_token_file);

  const std::string input = ReplaceAll(fuzz::Text(data + 1, size - 1), "@TOKEN@", token);
  std::string_view wire = input;
  bool changed = false;
  for (int n = 0; n < kMaxRequests && !wire.empty(); ++n) {
    std::optional<http::request<http::string_body>> req = ParseOne(wire);
    if (!req) break;
    if (add_token && req->find(http::field::authorization) == req->end()) {
      req->set(http::field::authorization, "Bearer " + token);
    }
    // As server/http_server.cc converts and checks it: the same RequestFromHead (a refusal is
    // a 400 and the connection's end), then the pre-body check.
    std::vector<HeaderField> fields;
    for (const auto& field : *req) fields.push_back({View(field.name_string()), View(field.value())});
    Result<HttpRequest> converted = RequestFromHead(View(req->method_string()), View(req->target()), fields);
    if (!converted) {
      SW_FUZZ_CHECK(InvalidUtf8At(converted.error().message) == std::nullopt, converted.error().message);
      break;
    }
    HttpRequest request = std::move(*converted);
    if (std::optional<HttpResponse> refusal = plane->Admit(request)) {
      Check(*refusal, request);
      if (req->body().size() > kUnauthenticatedBodyBytes || !req->keep_alive()) break;
      continue;
    }
    request.body = req->body();
    const HttpResponse response = Call(*plane, request);
    changed = changed || (request.method != "GET" && response.status / 100 == 2);
    if (!req->keep_alive()) break;
  }
  // What the input left behind must be readable, now and after a restart.
  (void)Call(*plane, Admin("GET", "/v1/jobs", token));
  if (changed) {
    plane.reset();
    plane = Open(options, clock);
    (void)Call(*plane, Admin("GET", "/v1/jobs", token));
    (void)Call(*plane, Admin("GET", "/v1/sites", token));
  }
  plane.reset();
  return 0;
}
