#include "server/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <thread>
#include <vector>

namespace suanwang {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

HttpResponse TooLarge(size_t limit) {
  HttpResponse r;
  r.status = 413;
  r.content_type = "application/problem+json";
  r.body = "{\"type\":\"about:blank\",\"title\":\"Payload Too Large\",\"status\":413,\"detail\":\"request body "
           "is larger than " + std::to_string(limit) + " bytes\"}";
  return r;
}

class BeastServer final : public HttpServer {
 public:
  BeastServer(const HttpServerOptions& o, Handler handler)
      : options_(o), handler_(std::move(handler)), acceptor_(io_), workers_(static_cast<size_t>(o.worker_threads)) {}

  Result<void> Listen() {
    boost::system::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(options_.host, ec), options_.port);
    if (ec) return MakeError(ErrorCode::kInvalidArgument, "listen address '" + options_.host + "': " + ec.message());
    acceptor_.open(endpoint.protocol(), ec);
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
  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      // Read bodies up to 16x the limit so that the client gets a 413 it can read; drop
      // connections that send more.
      parser.body_limit(options_.max_body_bytes * 16);
      stream.expires_after(std::chrono::seconds(120));
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;  // closed, timed out, malformed or far too large: drop the connection
      const auto& req = parser.get();
      if (req.body().size() > options_.max_body_bytes) {
        auto res = ToBeast(TooLarge(options_.max_body_bytes), req.version(), false);
        co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      HttpRequest request;
      request.method = std::string(req.method_string());
      request.target = std::string(req.target());
      for (const auto& field : req) {
        request.headers[Lower(std::string(field.name_string()))] = std::string(field.value());
      }
      request.body = req.body();
      const bool keep_alive = req.keep_alive();
      const unsigned version = req.version();
      // Handlers may block (durable commits): run them on the worker pool.
      HttpResponse response = co_await asio::co_spawn(
          workers_, [this, &request]() -> asio::awaitable<HttpResponse> { co_return handler_(request); },
          asio::use_awaitable);
      auto res = ToBeast(response, version, keep_alive);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  HttpServerOptions options_;
  Handler handler_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::thread_pool workers_;
  unsigned short port_ = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Handler handler) {
  auto server = std::make_unique<BeastServer>(options, std::move(handler));
  if (auto ok = server->Listen(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace suanwang
