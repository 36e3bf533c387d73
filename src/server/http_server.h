// An HTTP/1.1 server (Boost.Beast, C++20 coroutines): keep-alive connections on one I/O
// thread, each request handed to a pool of worker threads (handlers may block on a durable
// commit), request bodies capped. The only file that knows Beast; everything else sees
// HttpRequest -> HttpResponse.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "common/error.h"

namespace suanwang {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;       // 0: any free port
  size_t max_body_bytes = 1 << 20;
  int worker_threads = 64;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  // Binds and listens. Errors: kUnavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Handler handler);
  virtual ~HttpServer() = default;
  virtual unsigned short port() const = 0;
  // Serves until Stop() (blocking).
  virtual void Run() = 0;
  // Thread-safe; Run() returns soon after.
  virtual void Stop() = 0;
};

}  // namespace suanwang
