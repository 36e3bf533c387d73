// One keep-alive HTTP/1.1 connection for the load generators (`bench submit`): Boost.Beast,
// plain or TLS (the server verified against Endpoint::ca, or the system's CAs, and its host
// name or IP address checked). A request goes out as one buffer (one TLS record) and responses
// are read through a buffer. The CLI's httplib client reads a TLS response one byte per
// SSL_read; on one machine that CPU would be taken from the server being measured.
#pragma once

#include <memory>
#include <string>

#include "cli/http_client.h"
#include "common/error.h"

namespace suanwang {

struct BenchResponse {
  int status = 0;
  std::string body;
};

class BenchConnection {
 public:
  // Connects (and with https:// completes the TLS handshake). Errors: kInvalidArgument for a
  // URL that is not http(s)://HOST:PORT or a CA file that does not load; kUnavailable when the
  // server cannot be reached or is not trusted.
  static Result<std::unique_ptr<BenchConnection>> Open(const Endpoint& endpoint);
  virtual ~BenchConnection() = default;
  // POST with the endpoint's bearer token. Errors: kUnavailable when the connection breaks
  // (the connection is then unusable: open another).
  virtual Result<BenchResponse> Post(const std::string& path, const std::string& body,
                                     const std::string& content_type) = 0;
};

}  // namespace suanwang
