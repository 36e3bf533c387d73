// Limits before trust (issue 13, findings 1 and 7 at the HTTP layer), against a real
// `suanwang server`: oversized bodies and headers, repeated credentials, invalid bytes and
// malformed requests each get a problem document the client can read (no reset, no dropped
// connection), connections per client address are capped, and the server goes on answering.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <sstream>
#include <memory>

#include "testlib/child_process.h"
#include "testlib/raw_http.h"
#include "testlib/test_cluster.h"

namespace {

using suanwang::testing::BodyOf;
using suanwang::testing::ChildProcess;
using suanwang::testing::FirstLine;
using suanwang::testing::RawConnection;
using suanwang::testing::ReadFile;
using suanwang::testing::StatusOf;
using suanwang::testing::WaitUntil;
using namespace std::chrono_literals;

class Server {
 public:
  explicit Server(const std::string& name, std::vector<std::string> extra = {}) {
    home_ = std::filesystem::path(suanwang::testing::WriteTempFile("marker", "")).parent_path() / name;
    std::filesystem::remove_all(home_);
    std::filesystem::create_directories(home_);
    std::vector<std::string> args = {"server", "--home", home_, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(SW_BINARY, args, home_ + "/server.log");
    EXPECT_TRUE(WaitUntil([&] { return !FirstLine(home_ + "/url").empty(); }, 15s)) << ReadFile(home_ + "/server.log");
    const std::string url = FirstLine(home_ + "/url");
    port_ = static_cast<unsigned short>(std::stoul(url.substr(url.rfind(':') + 1)));
    token_ = FirstLine(home_ + "/admin.token");
  }
  unsigned short port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  const std::string& token() const { return token_; }
  bool Healthy() const {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get("/healthz");
    return r && r->status == 200;
  }
  std::string Log() const { return ReadFile(home_ + "/server.log"); }

 private:
  std::string home_;
  std::unique_ptr<ChildProcess> process_;
  unsigned short port_ = 0;
  std::string token_;
};

void ExpectProblem(const std::string& response, int status) {
  EXPECT_EQ(StatusOf(response), status) << response;
  EXPECT_NE(response.find("application/problem+json"), std::string::npos) << response;
  EXPECT_NE(BodyOf(response).find("\"status\":" + std::to_string(status)), std::string::npos) << response;
}

TEST(HttpLimitsTest, OversizedBodiesGet413WithoutBeingRead) {
  Server server("limits-body");
  const std::string auth = "Authorization: Bearer " + server.token() + "\r\n";
  // 64 MiB announced and never sent: the 413 comes at once.
  RawConnection announced(server.port());
  ASSERT_TRUE(announced.Send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 67108864\r\n\r\n"));
  ExpectProblem(announced.ReadResponse(3s), 413);
  // 20 MiB sent in full before reading (as most clients do): still a readable 413, no reset.
  RawConnection eager(server.port());
  const size_t size = 20 << 20;
  ASSERT_TRUE(eager.Send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n" +
                         "Content-Length: " + std::to_string(size) + "\r\n\r\n" + std::string(size, ' ')));
  int error = 0;
  ExpectProblem(eager.ReadResponse(5s, &error), 413);
  EXPECT_EQ(error, 0);
  EXPECT_TRUE(server.Healthy());
}

TEST(HttpLimitsTest, OversizedHeadersGet431) {
  Server server("limits-header");
  RawConnection c(server.port());
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(1 << 20, 'a') + "\r\n\r\n"));
  ExpectProblem(c.ReadResponse(), 431);
  EXPECT_TRUE(server.Healthy());
}

TEST(HttpLimitsTest, TwoAuthorizationHeadersAre400) {
  Server server("limits-auth");
  RawConnection c(server.port());
  ASSERT_TRUE(c.Send("GET /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sw_nobody\r\nAuthorization: Bearer " +
                     server.token() + "\r\n\r\n"));
  const std::string response = c.ReadResponse();
  ExpectProblem(response, 400);
  EXPECT_NE(response.find("Authorization is repeated"), std::string::npos) << response;
  RawConnection keys(server.port());
  ASSERT_TRUE(keys.Send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server.token() +
                        "\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: 0\r\n\r\n"));
  ExpectProblem(keys.ReadResponse(), 400);
}

// Finding 7: unauthenticated clients cannot make the server hold their bodies. Each of 20
// connections announces a body just under the limit and sends a tenth of it: each is answered 401
// at once (nothing was waited for, nothing buffered) and the server's memory does not grow.
TEST(HttpLimitsTest, UnauthenticatedBodiesAreRefusedBeforeTheyAreRead) {
  Server server("limits-unauthenticated");
  const auto rss_kib = [&] {
    std::istringstream status(ReadFile("/proc/" + std::to_string(server.pid()) + "/status"));
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    }
    return 0L;
  };
  const long before = rss_kib();
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 20; ++i) {
    const std::string auth = i % 2 ? "Authorization: Bearer sw_forged\r\n" : "";
    stalled.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(stalled.back()->Send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
                                     "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n" +
                                     std::string(100000, ' ')));
    const std::string response = stalled.back()->ReadResponse(3s);
    ExpectProblem(response, 401);
    EXPECT_NE(response.find("WWW-Authenticate: Bearer"), std::string::npos) << response;
  }
  EXPECT_LT(rss_kib() - before, 20 * 1024) << "the server grew while refusing unauthenticated bodies";
  // A small unauthenticated body is read and dropped: the connection stays usable.
  RawConnection small(server.port());
  ASSERT_TRUE(small.Send("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"));
  ExpectProblem(small.ReadResponse(), 401);
  ASSERT_TRUE(small.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusOf(small.ReadResponse()), 200);
  EXPECT_TRUE(server.Healthy());
}

TEST(HttpLimitsTest, InvalidBytesAndMalformedRequestsGetA400NotADroppedConnection) {
  Server server("limits-bytes");
  const std::string auth = "Authorization: Bearer " + server.token() + "\r\n";
  for (const std::string& bad :
       {"GET /v1/jobs/\xff\xfe HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
        "GET /v1/sites/\x01 HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n",
        "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth + "Idempotency-Key: \xff\xfe\r\nContent-Length: 0\r\n\r\n",
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n")}) {
    RawConnection c(server.port());
    ASSERT_TRUE(c.Send(bad));
    ExpectProblem(c.ReadResponse(), 400);
  }
  EXPECT_TRUE(server.Healthy()) << server.Log();
}

TEST(HttpLimitsTest, ConnectionsPerClientAddressAreCapped) {
  Server server("limits-conns", {"--max-connections-per-client", "4"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(held.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(StatusOf(held.back()->ReadResponse()), 200);
  }
  RawConnection over(server.port());
  const std::string response = over.ReadResponse();
  ExpectProblem(response, 503);
  EXPECT_NE(response.find("more than 4 open connections"), std::string::npos) << response;
  held.clear();
  EXPECT_TRUE(WaitUntil([&] { return server.Healthy(); }, 5s));
}

}  // namespace
