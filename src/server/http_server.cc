#include "server/http_server.h"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/text.h"
#include "server/request_head.h"

namespace suanwang {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kIdleTimeout = 120s;      // a keep-alive connection with no request
constexpr auto kHandshakeTimeout = 10s;  // TLS handshake
constexpr auto kLingerTimeout = 2s;      // draining what a refused client still sends

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

HttpResponse Problem(int status, const std::string& title, const std::string& detail) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = "{\"type\":\"about:blank\",\"title\":" + JsonString(title) + ",\"status\":" + std::to_string(status) +
           ",\"detail\":" + JsonString(detail) + "}";
  return r;
}

HttpResponse TooLarge(size_t limit) {
  return Problem(413, "Payload Too Large", "request body is larger than " + std::to_string(limit) + " bytes");
}

http::response<http::string_body> ToBeast(const HttpResponse& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "suanwang");
  res.set(http::field::content_type, r.content_type);
  for (const auto& [k, v] : r.headers) res.set(k, v);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

// Whether `ec` says the bytes received are not a valid HTTP request (rather than that the
// connection closed or timed out).
bool IsMalformed(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::need_more &&
         ec != http::error::header_limit && ec != http::error::body_limit;
}

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// The subject CN of the verified client certificate on `ssl`, or "".
std::string PeerIdentity(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  X509_NAME* name = X509_get_subject_name(cert);
  const int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return "";
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
  if (n < 0) return "";
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return FirstTextFault(cn, ControlChars::kNone) ? "" : cn;
}

std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += std::string(out.empty() ? "" : "; ") + buf;
  }
  return out;
}

class BeastServer final : public HttpServer {
 public:
  BeastServer(const HttpServerOptions& o, Handler handler)
      : options_(o), handler_(std::move(handler)), acceptor_(io_), workers_(static_cast<size_t>(o.worker_threads)) {}

  Result<void> Listen() {
    if (!options_.tls_certificate_file.empty() || !options_.tls_key_file.empty()) SW_CHECK(SetUpTls());
    boost::system::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(options_.host, ec), options_.port);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "listen address '" + options_.host + "': " + ec.message());
    // Close-on-exec from the start: no child forked by this process (agents, tasks) inherits it.
    const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return MakeError(ErrorCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
    acceptor_.assign(endpoint.protocol(), fd, ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable, "cannot listen on " + options_.host + ":" +
                                                    std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    return {};
  }

  unsigned short port() const override { return port_; }
  bool tls() const override { return ssl_ != nullptr; }
  uint64_t handler_exceptions() const override { return handler_exceptions_.load(); }
  void Run() override { io_.run(); }
  void Stop() override {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      io_.stop();
    });
  }
  ~BeastServer() override {
    io_.stop();
    workers_.join();
  }

 private:
  Result<void> SetUpTls() {
    if (options_.tls_certificate_file.empty() || options_.tls_key_file.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
    }
    ssl_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = ssl_->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::single_dh_use);
    if (SSL_CTX_use_certificate_chain_file(ctx, options_.tls_certificate_file.c_str()) != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--tls-cert '" + options_.tls_certificate_file + "': cannot load the certificate: " + OpenSslErrors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options_.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--tls-key '" + options_.tls_key_file + "': cannot load the private key: " + OpenSslErrors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return MakeError(ErrorCode::kInvalidArgument, "--tls-key '" + options_.tls_key_file +
                                                        "': not the key of --tls-cert '" + options_.tls_certificate_file + "'");
    }
    if (!options_.client_ca_file.empty()) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.client_ca_file.c_str());
      if (!names || SSL_CTX_load_verify_locations(ctx, options_.client_ca_file.c_str(), nullptr) != 1) {
        if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
        return MakeError(ErrorCode::kInvalidArgument,
                         "--client-ca '" + options_.client_ca_file + "': cannot load the CA certificates: " + OpenSslErrors());
      }
      SSL_CTX_set_client_CA_list(ctx, names);
      // Asked for, verified when sent, optional: a client without one uses a bearer token.
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      static const unsigned char kContext[] = "suanwang";
      SSL_CTX_set_session_id_context(ctx, kContext, sizeof kContext - 1);
    }
    return {};
  }

  // Connections from one address, while they are open (I/O thread only).
  class ConnectionSlot {
   public:
    ConnectionSlot(std::map<std::string, int>& counts, std::string address)
        : counts_(counts), address_(std::move(address)) {
      ++counts_[address_];
    }
    ~ConnectionSlot() {
      if (--counts_[address_] == 0) counts_.erase(address_);
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    int count() const { return counts_.at(address_); }

   private:
    std::map<std::string, int>& counts_;
    std::string address_;
  };

  asio::awaitable<void> Accept() {
    asio::steady_timer pause(io_);
    for (;;) {
      boost::system::error_code ec;
      co_await acceptor_.async_wait(tcp::acceptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      // accept4 with SOCK_CLOEXEC: Boost 1.74's accept cannot set it atomically.
      const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
          continue;
        }
        // Out of descriptors or memory: wait a little rather than spin.
        std::fprintf(stderr, "suanwang server: accept: %s\n", std::strerror(errno));
        pause.expires_after(100ms);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      tcp::socket socket(io_);
      socket.assign(acceptor_.local_endpoint().protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      const auto peer = socket.remote_endpoint(ec);
      if (ec) continue;  // already gone
      auto slot = std::make_shared<ConnectionSlot>(connections_, peer.address().to_string());
      if (ssl_) {
        asio::co_spawn(io_, TlsSession(std::move(socket), std::move(slot)), asio::detached);
      } else {
        asio::co_spawn(io_, PlainSession(std::move(socket), std::move(slot)), asio::detached);
      }
    }
  }

  HttpResponse TooManyConnections() const {
    HttpResponse r = Problem(503, "Service Unavailable",
                             "more than " + std::to_string(options_.max_connections_per_client) +
                                 " open connections from this address; close some or retry later");
    r.headers["Retry-After"] = "1";
    return r;
  }

  asio::awaitable<void> PlainSession(tcp::socket socket, std::shared_ptr<ConnectionSlot> slot) {
    beast::tcp_stream stream(std::move(socket));
    if (slot->count() > options_.max_connections_per_client) {
      co_await Refuse(stream, TooManyConnections(), 11);
      co_return;
    }
    co_await Serve(stream, "");
  }

  asio::awaitable<void> TlsSession(tcp::socket socket, std::shared_ptr<ConnectionSlot> slot) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *ssl_);
    beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
    boost::system::error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // not TLS, a client that does not trust us, a bad client certificate
    if (slot->count() > options_.max_connections_per_client) {
      co_await Refuse(stream, TooManyConnections(), 11);
      co_return;
    }
    co_await Serve(stream, PeerIdentity(stream.native_handle()));
  }

  // Ends what this side sends: over TLS a close_notify first (waited on for at most
  // kLingerTimeout: a client that reads it answers with its own), so that the client sees a
  // clean end rather than a truncation; then the TCP send side.
  template <class Stream>
  asio::awaitable<void> EndSending(Stream& stream) {
    boost::system::error_code ec;
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      beast::get_lowest_layer(stream).expires_after(kLingerTimeout);
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // Writes `response` (Connection: close), then closes lingering: the send side is shut and
  // whatever the client still sends is read and dropped for a moment, so that its unread bytes
  // do not turn the close into a reset that would destroy the answer before it is read.
  template <class Stream>
  asio::awaitable<void> Refuse(Stream& stream, HttpResponse response, unsigned version) {
    auto& tcp_stream = beast::get_lowest_layer(stream);
    tcp_stream.expires_after(kLingerTimeout);
    auto res = ToBeast(response, version, false);
    boost::system::error_code ec;
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    co_await EndSending(stream);
    tcp_stream.expires_after(kLingerTimeout);
    std::vector<char> sink(16 << 10);
    while (!ec) {
      co_await tcp_stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  HttpResponse Bad(const std::string& detail) const { return Problem(400, "Bad Request", detail); }

  // The answer to a request whose handler (or pre-body check) threw: counted and logged.
  HttpResponse Failed(const HttpRequest& request, const char* what) {
    ++handler_exceptions_;
    std::fprintf(stderr, "suanwang server: error handling %s %s: %s\n", request.method.c_str(), request.target.c_str(),
                 what);
    return Problem(500, "Internal Server Error", "the server failed to handle this request; it was logged");
  }

  template <class F>
  HttpResponse Guarded(const HttpRequest& request, F&& call) {
    try {
      return call();
    } catch (const std::exception& e) {
      return Failed(request, e.what());
    } catch (...) {
      return Failed(request, "unknown exception");
    }
  }

  // The requests of one connection, one after another.
  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, const std::string& identity) {
    beast::flat_buffer buffer;
    // A refusal ends the connection: it is written after the loop, never from inside a
    // conditional expression (GCC 12 destroys such temporaries twice across a co_await).
    std::optional<HttpResponse> last_word;
    unsigned last_version = 11;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      parser.body_limit(options_.max_body_bytes);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      boost::system::error_code ec;
      co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::header_limit) {
        last_word = Problem(431, "Request Header Fields Too Large",
                                        "the request line and header are larger than " +
                                            std::to_string(options_.max_header_bytes) + " bytes");
        last_version = 11;
        break;
      }
      if (ec == http::error::body_limit) {  // a Content-Length over the limit
        last_word = TooLarge(options_.max_body_bytes);
        last_version = 11;
        break;
      }
      if (IsMalformed(ec)) {
        last_word = Bad("malformed request: " + ec.message());
        last_version = 11;
        break;
      }
      if (ec) co_return;  // closed or timed out
      const auto& head = parser.get();
      const unsigned version = head.version();
      std::vector<HeaderField> fields;
      for (const auto& field : head) fields.push_back({View(field.name_string()), View(field.value())});
      auto converted = RequestFromHead(View(head.method_string()), View(head.target()), fields);
      if (!converted) {
        last_word = Bad(converted.error().message);
        last_version = version;
        break;
      }
      HttpRequest request = std::move(*converted);
      request.client_identity = identity;
      std::optional<HttpResponse> refusal;
      if (options_.pre_body_check) {
        try {
          refusal = options_.pre_body_check(request);
        } catch (const std::exception& e) {
          refusal = Failed(request, e.what());
        } catch (...) {
          refusal = Failed(request, "unknown exception");
        }
      }
      const size_t body_limit = refusal ? std::min(options_.max_body_bytes, options_.unauthenticated_body_bytes)
                                        : options_.max_body_bytes;
      if (const auto length = parser.content_length(); length && *length > body_limit) {
        last_word = refusal ? *refusal : TooLarge(body_limit);
        last_version = version;
        break;
      }
      if (!parser.is_done()) {
        parser.body_limit(body_limit);
        if (const auto expect = head[http::field::expect]; beast::iequals(expect, "100-continue")) {
          http::response<http::empty_body> go_on{http::status::continue_, version};
          co_await http::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
          if (ec) co_return;
        }
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == http::error::body_limit) {  // a chunked body over the limit
          last_word = refusal ? *refusal : TooLarge(body_limit);
          last_version = version;
          break;
        }
        if (IsMalformed(ec)) {
          last_word = Bad("malformed request body: " + ec.message());
          last_version = version;
          break;
        }
        if (ec) co_return;
      }
      const bool keep_alive = parser.get().keep_alive();
      HttpResponse response;
      if (refusal) {
        response = std::move(*refusal);
      } else {
        request.body = std::move(parser.get().body());
        // Handlers may block (durable commits): run them on the worker pool.
        response = co_await asio::co_spawn(
            workers_,
            [this, &request]() -> asio::awaitable<HttpResponse> {
              co_return Guarded(request, [&] { return handler_(request); });
            },
            asio::use_awaitable);
      }
      auto res = ToBeast(response, version, keep_alive);
      beast::get_lowest_layer(stream).expires_after(kIdleTimeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
    if (last_word) {
      co_await Refuse(stream, std::move(*last_word), last_version);
      co_return;
    }
    co_await EndSending(stream);
  }

  // Declared before io_, so that they outlive it: destroying io_ destroys the suspended
  // sessions, whose streams use ssl_ and whose slots count in connections_.
  HttpServerOptions options_;
  Handler handler_;
  std::unique_ptr<ssl::context> ssl_;
  std::map<std::string, int> connections_;  // open connections per client address (I/O thread)
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::thread_pool workers_;
  std::atomic<uint64_t> handler_exceptions_{0};
  unsigned short port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Handler handler) {
  auto server = std::make_unique<BeastServer>(options, std::move(handler));
  if (auto ok = server->Listen(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace suanwang
