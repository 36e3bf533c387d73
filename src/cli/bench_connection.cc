#include "cli/bench_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <optional>

namespace suanwang {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Target {
  bool tls = false;
  std::string host, port;
};

Result<Target> ParseUrl(const std::string& url) {
  Target t;
  std::string rest;
  if (url.starts_with("https://")) {
    t.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return MakeError(ErrorCode::kInvalidArgument, "url '" + url + "': expected http:// or https://");
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  if (rest.starts_with("[")) {  // [::1]:8080
    const size_t close = rest.find(']');
    if (close == std::string::npos) return MakeError(ErrorCode::kInvalidArgument, "url '" + url + "': unclosed '['");
    t.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    t.port = rest.starts_with(":") ? rest.substr(1) : "";
  } else {
    const size_t colon = rest.rfind(':');
    t.host = rest.substr(0, colon);
    t.port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  if (t.port.empty()) t.port = t.tls ? "443" : "80";
  if (t.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "url '" + url + "': no host");
  return t;
}

template <class Stream>
class Connection final : public BenchConnection {
 public:
  template <class... Args>
  Connection(std::string host, std::string token, Args&&... args)
      : host_(std::move(host)), authorization_("Bearer " + token), stream_(std::forward<Args>(args)...) {}

  Stream& stream() { return stream_; }

  Result<BenchResponse> Post(const std::string& path, const std::string& body, const std::string& content_type) override {
    http::request<http::string_body> request{http::verb::post, path, 11};
    request.set(http::field::host, host_);
    request.set(http::field::content_type, content_type);
    if (authorization_.size() > 7) request.set(http::field::authorization, authorization_);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    boost::system::error_code ec;
    // One buffer, so one TCP segment or TLS record: header and body serialized together.
    wire_.clear();
    http::serializer<true, http::string_body> serializer{request};
    serializer.split(false);
    while (!serializer.is_done()) {
      serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
        for (const auto b : beast::buffers_range_ref(buffers)) wire_.append(static_cast<const char*>(b.data()), b.size());
        serializer.consume(beast::buffer_bytes(buffers));
      });
      if (ec) return MakeError(ErrorCode::kInternal, "serializing the request: " + ec.message());
    }
    asio::write(stream_, asio::buffer(wire_), ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "sending: " + ec.message());
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "receiving: " + ec.message());
    return BenchResponse{static_cast<int>(response.result_int()), std::move(response.body())};
  }

 private:
  std::string host_, authorization_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::string wire_;
};

// The io_context and TLS context the connections share (contexts are thread-safe to share
// for connecting and handshakes once configured).
struct Shared {
  asio::io_context io;
  std::optional<ssl::context> tls;
  std::string tls_error;
};

Shared& SharedFor(const std::string& ca) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Shared>> by_ca;
  std::lock_guard lock(mutex);
  auto& shared = by_ca[ca];
  if (!shared) {
    shared = std::make_unique<Shared>();
    shared->tls.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(shared->tls->native_handle(), TLS1_2_VERSION);
    boost::system::error_code ec;
    if (ca.empty()) {
      shared->tls->set_default_verify_paths(ec);
    } else {
      shared->tls->load_verify_file(ca, ec);
    }
    if (ec) shared->tls_error = "CA file '" + ca + "': " + ec.message();
    shared->tls->set_verify_mode(ssl::verify_peer);
  }
  return *shared;
}

}  // namespace

Result<std::unique_ptr<BenchConnection>> BenchConnection::Open(const Endpoint& endpoint) {
  SW_TRY(target, ParseUrl(endpoint.url));
  Shared& shared = SharedFor(endpoint.ca);
  boost::system::error_code ec;
  tcp::resolver resolver(shared.io);
  const auto addresses = resolver.resolve(target.host, target.port, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, endpoint.url + ": " + ec.message());
  if (!target.tls) {
    auto c = std::make_unique<Connection<beast::tcp_stream>>(target.host, endpoint.token, shared.io);
    c->stream().connect(addresses, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, endpoint.url + ": " + ec.message());
    c->stream().socket().set_option(tcp::no_delay(true), ec);
    return std::unique_ptr<BenchConnection>(std::move(c));
  }
  if (!shared.tls_error.empty()) return MakeError(ErrorCode::kInvalidArgument, shared.tls_error);
  auto c = std::make_unique<Connection<beast::ssl_stream<beast::tcp_stream>>>(target.host, endpoint.token, shared.io,
                                                                               *shared.tls);
  SSL* native = c->stream().native_handle();
  boost::system::error_code is_ip;
  asio::ip::make_address(target.host, is_ip);
  if (!is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), target.host.c_str());
  } else {
    SSL_set_tlsext_host_name(native, target.host.c_str());
    SSL_set1_host(native, target.host.c_str());
  }
  beast::get_lowest_layer(c->stream()).connect(addresses, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, endpoint.url + ": " + ec.message());
  beast::get_lowest_layer(c->stream()).socket().set_option(tcp::no_delay(true), ec);
  c->stream().handshake(ssl::stream_base::client, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, endpoint.url + ": TLS handshake: " + ec.message());
  return std::unique_ptr<BenchConnection>(std::move(c));
}

}  // namespace suanwang
