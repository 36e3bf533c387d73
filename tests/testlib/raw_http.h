// Raw HTTP over a plain TCP socket, for tests that send what no HTTP client library would:
// oversized or malformed requests, repeated fields, invalid bytes.
#pragma once

#include <chrono>
#include <string>

namespace suanwang::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:port (check ok()).
  explicit RawConnection(unsigned short port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Sends all of `bytes`; false when the connection broke (e.g. reset by the server).
  bool Send(const std::string& bytes);
  // Reads one response (its header and a Content-Length body); "" when the connection closed
  // or broke first or `timeout` passed. `error` gets the errno of a failed read (ECONNRESET).
  std::string ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5), int* error = nullptr);
  // Whether the server closed the connection (reads EOF or an error within `timeout`).
  bool Closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  int fd_ = -1;
  std::string pending_;
};

// The status code of a raw response ("HTTP/1.1 413 ..."), 0 when there is none.
int StatusOf(const std::string& response);
// The body of a raw response.
std::string BodyOf(const std::string& response);

}  // namespace suanwang::testing
