// An HTTP/1.1 server (Boost.Beast, C++20 coroutines), plain or over TLS (Boost.Asio SSL,
// OpenSSL 3, TLS 1.2 minimum, optional client certificates): keep-alive connections on one I/O
// thread, each request handed to a pool of worker threads (handlers may block on a durable
// commit). The only file that knows Beast; everything else sees HttpRequest -> HttpResponse.
//
// Limits before trust: every refusal is an application/problem+json document written before
// the connection closes, and the close lingers (send side shut, what the client still sends
// drained for a moment) so that the client reads the answer rather than a reset:
//   - a header larger than max_header_bytes: 431;
//   - a body larger than the limit: 413, sent without reading the body (Content-Length is
//     checked when the header arrives; a chunked body stops at the limit);
//   - a request the pre-body check refuses: its answer (e.g. 401); such a request may carry
//     at most unauthenticated_body_bytes (read and dropped, the connection kept), a larger one
//     is refused without reading its body;
//   - a malformed request line or header, a request target or header value that is not UTF-8
//     or holds control characters, two Authorization, Idempotency-Key, Host or Content-Type
//     fields: 400;
//   - more than max_connections_per_client open connections from one address: 503 to the new one;
//   - a handler that throws: 500 (counted, logged on stderr).
// Every socket (the listener and each accepted one) is close-on-exec from its creation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_types.h"
#include "common/error.h"

namespace suanwang {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;       // 0: any free port
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;           // request line and header fields
  size_t unauthenticated_body_bytes = 64 << 10;  // the most a refused request may send
  int worker_threads = 64;
  int max_connections_per_client = 1024;  // open connections per client IP address
  // HTTPS when both are set (PEM files: certificate chain, private key).
  std::string tls_certificate_file;
  std::string tls_key_file;
  // With TLS: client certificates are requested and verified against these CAs (PEM). A client
  // may send none; a verified one's subject CN is HttpRequest::client_identity.
  std::string client_ca_file;
  // Called with each request's method, target, headers and client_identity (no body) once its
  // header is in, before its body is read; on the I/O thread, so it must be quick and must not
  // block. nullopt: the request goes on (its body up to max_body_bytes) to the handler; a
  // response: the request is answered with it, the handler is not called. An exception counts
  // as a 500.
  std::function<std::optional<HttpResponse>(const HttpRequest& head)> pre_body_check;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Binds and listens. Errors: kInvalidArgument for a bad host or a TLS file that cannot be
  // loaded (the message names it); kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Handler handler);
  virtual ~HttpServer() = default;
  virtual unsigned short port() const = 0;
  virtual bool tls() const = 0;
  // Requests whose handler (or pre-body check) threw, since Start.
  virtual uint64_t handler_exceptions() const = 0;
  // Serves until Stop() (blocking).
  virtual void Run() = 0;
  // Thread-safe; Run() returns soon after.
  virtual void Stop() = 0;
};

}  // namespace suanwang
