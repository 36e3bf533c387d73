// The HTTP layer on its own (HttpServer with a test handler on 127.0.0.1, port 0): TLS and
// client certificates, and the limits it enforces before any handler runs, each refusal a
// problem document the client can read (raw sockets send what a client library would not).
#include "server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <thread>

#include "security/local_ca.h"
#include "testlib/child_process.h"
#include "testlib/raw_http.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::BodyOf;
using testing::RawConnection;
using testing::StatusOf;
using namespace std::chrono_literals;

// A started server whose Run() loop is a thread; stopped at the end of the test.
class Running {
 public:
  Running(HttpServerOptions options, HttpServer::Handler handler) {
    auto started = HttpServer::Start(options, std::move(handler));
    EXPECT_TRUE(started) << started.error().message;
    if (!started) return;
    server_ = std::move(*started);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Running() {
    if (!server_) return;
    server_->Stop();
    thread_.join();
  }
  HttpServer& server() { return *server_; }
  unsigned short port() const { return server_->port(); }

 private:
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "text/plain";
  out.body = r.method + " " + r.target + " id=" + r.client_identity + " body=" + std::to_string(r.body.size());
  return out;
}

std::string Dir(const std::string& name) {
  const std::string dir = std::filesystem::path(testing::WriteTempFile("marker", "")).parent_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A CA with a server certificate for 127.0.0.1 and a client certificate "site:sh-edge".
struct Pki {
  explicit Pki(const std::string& where, const std::string& name = "CA") : dir(where) {
    auto made = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/ca.key", name);
    EXPECT_TRUE(made) << made.error().message;
    EXPECT_TRUE(made->EnsureLeaf({"localhost", {"localhost"}, {"127.0.0.1"}, true}, dir + "/server.pem", dir + "/server.key"));
    EXPECT_TRUE(made->EnsureLeaf({"site:sh-edge", {}, {}, false}, dir + "/agent.pem", dir + "/agent.key"));
  }
  std::string dir;
};

TEST(HttpServerTls, ServesHttpsAndReportsTheVerifiedClientCertificate) {
  Pki pki(Dir("tls-mtls"));
  HttpServerOptions options;
  options.tls_certificate_file = pki.dir + "/server.pem";
  options.tls_key_file = pki.dir + "/server.key";
  options.client_ca_file = pki.dir + "/ca.pem";
  Running running(options, Echo);
  EXPECT_TRUE(running.server().tls());
  const std::string url = "https://127.0.0.1:" + std::to_string(running.port());

  httplib::Client with_cert(url, pki.dir + "/agent.pem", pki.dir + "/agent.key");
  with_cert.set_ca_cert_path(pki.dir + "/ca.pem");
  with_cert.enable_server_certificate_verification(true);
  auto r = with_cert.Get("/who");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->body, "GET /who id=site:sh-edge body=0");
  // Keep-alive over TLS: the same connection again.
  r = with_cert.Post("/who", std::string(1000, 'x'), "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "POST /who id=site:sh-edge body=1000");

  // No client certificate: served, no identity (it would authenticate with a token).
  httplib::Client no_cert(url);
  no_cert.set_ca_cert_path(pki.dir + "/ca.pem");
  no_cert.enable_server_certificate_verification(true);
  r = no_cert.Get("/who");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->body, "GET /who id= body=0");

  // A client that does not know the CA refuses the server.
  httplib::Client stranger(url);
  stranger.enable_server_certificate_verification(true);
  r = stranger.Get("/who");
  EXPECT_FALSE(r);

  // A client certificate from another CA: the handshake fails, nothing is served.
  Pki other(Dir("tls-other"), "other CA");
  httplib::Client forged(url, other.dir + "/agent.pem", other.dir + "/agent.key");
  forged.set_ca_cert_path(pki.dir + "/ca.pem");
  r = forged.Get("/who");
  EXPECT_FALSE(r);

  // Plain HTTP to the TLS port: no answer, and the server goes on.
  RawConnection raw(running.port());
  ASSERT_TRUE(raw.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(raw.ReadResponse(3s), "");
  EXPECT_TRUE(no_cert.Get("/who"));
}

TEST(HttpServerTls, RefusesTlsBelow1_2AndFilesThatDoNotLoad) {
  Pki pki(Dir("tls-files"));
  HttpServerOptions options;
  options.tls_certificate_file = pki.dir + "/server.pem";
  options.tls_key_file = pki.dir + "/agent.key";  // not its key
  auto started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("--tls-key"), std::string::npos) << started.error().message;
  options.tls_key_file = pki.dir + "/missing.key";
  started = HttpServer::Start(options, Echo);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kInvalidArgument);

  options.tls_key_file = pki.dir + "/server.key";
  Running running(options, Echo);
  const std::string port = std::to_string(running.port());
  auto old = testing::RunShell("echo | openssl s_client -connect 127.0.0.1:" + port + " -tls1_1 2>&1");
  EXPECT_NE(old.exit_code, 0) << old.output;
  auto tls12 = testing::RunShell("echo | openssl s_client -connect 127.0.0.1:" + port + " -tls1_2 -CAfile " +
                                 pki.dir + "/ca.pem -verify_return_error 2>&1");
  EXPECT_EQ(tls12.exit_code, 0) << tls12.output;
}

// Small limits so that the tests stay small; a pre-body check that lets only "Bearer good" in.
HttpServerOptions Limited() {
  HttpServerOptions options;
  options.max_body_bytes = 4096;
  options.max_header_bytes = 2048;
  options.unauthenticated_body_bytes = 100;
  options.max_connections_per_client = 16;
  options.pre_body_check = [](const HttpRequest& head) -> std::optional<HttpResponse> {
    if (head.target == "/public" || head.Header("authorization") == "Bearer good") return std::nullopt;
    HttpResponse r;
    r.status = 401;
    r.content_type = "application/problem+json";
    r.body = R"({"type":"about:blank","title":"Unauthorized","status":401,"detail":"no"})";
    return r;
  };
  return options;
}

std::string Post(const std::string& target, size_t length, const std::string& extra = "Authorization: Bearer good\r\n") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

void ExpectProblem(const std::string& response, int status, const std::string& detail_part) {
  EXPECT_EQ(StatusOf(response), status) << response;
  EXPECT_NE(response.find("application/problem+json"), std::string::npos) << response;
  EXPECT_NE(BodyOf(response).find("\"status\":" + std::to_string(status)), std::string::npos) << response;
  EXPECT_NE(BodyOf(response).find(detail_part), std::string::npos) << response;
}

TEST(HttpServerLimits, AnOversizedBodyGets413BeforeItIsRead) {
  Running running(Limited(), Echo);
  // 1 GiB announced, nothing of it sent: the answer comes at once, the body is never read.
  SCOPED_TRACE("announced");
  RawConnection c(running.port());
  ASSERT_TRUE(c.Send(Post("/x", size_t{1} << 30)));
  ExpectProblem(c.ReadResponse(), 413, "larger than 4096 bytes");
  EXPECT_TRUE(c.Closed());

  // A client that sends its whole (8 MiB) body before reading still reads the 413: the close
  // lingers instead of resetting.
  SCOPED_TRACE("eager");
  RawConnection eager(running.port());
  ASSERT_TRUE(eager.Send(Post("/x", 8 << 20) + std::string(8 << 20, 'x')));
  int error = 0;
  ExpectProblem(eager.ReadResponse(5s, &error), 413, "larger than");
  EXPECT_EQ(error, 0);

  // A chunked body stops at the limit.
  SCOPED_TRACE("chunked");
  RawConnection chunked(running.port());
  std::string request = "POST /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) request += "400\r\n" + std::string(1024, 'y') + "\r\n";
  ASSERT_TRUE(chunked.Send(request));
  ExpectProblem(chunked.ReadResponse(), 413, "larger than");

  // At the limit: served.
  RawConnection fits(running.port());
  ASSERT_TRUE(fits.Send(Post("/x", 4096) + std::string(4096, 'z')));
  EXPECT_EQ(BodyOf(fits.ReadResponse()), "POST /x id= body=4096");
}

TEST(HttpServerLimits, AnOversizedHeaderGets431) {
  Running running(Limited(), Echo);
  RawConnection c(running.port());
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n"));
  ExpectProblem(c.ReadResponse(), 431, "larger than 2048 bytes");
}

TEST(HttpServerLimits, AnUnauthenticatedRequestMaySendOnlyASmallBody) {
  Running running(Limited(), Echo);
  // Larger than the unauthenticated limit (but within the body limit): 401, body unread, closed.
  RawConnection big(running.port());
  ASSERT_TRUE(big.Send(Post("/x", 1000, "")));
  ExpectProblem(big.ReadResponse(), 401, "no");
  EXPECT_TRUE(big.Closed());
  // A small one: read and dropped, the 401 sent and the connection kept for the next request.
  RawConnection small(running.port());
  ASSERT_TRUE(small.Send(Post("/x", 50, "") + std::string(50, 'q')));
  ExpectProblem(small.ReadResponse(), 401, "no");
  ASSERT_TRUE(small.Send(Post("/x", 10) + std::string(10, 'q')));
  EXPECT_EQ(BodyOf(small.ReadResponse()), "POST /x id= body=10");
  // Routes the check lets through reach the handler.
  ASSERT_TRUE(small.Send("GET /public HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(BodyOf(small.ReadResponse()), "GET /public id= body=0");
}

TEST(HttpServerLimits, RepeatedCredentialsAndKeysAre400) {
  Running running(Limited(), Echo);
  for (const char* field : {"Authorization: Bearer good", "Idempotency-Key: a"}) {
    RawConnection c(running.port());
    ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nIdempotency-Key: k\r\n" +
                       std::string(field) + "\r\n\r\n"));
    ExpectProblem(c.ReadResponse(), 400, "is repeated");
  }
  // Other repeated fields are joined, as HTTP says.
  RawConnection c(running.port());
  ASSERT_TRUE(c.Send("GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\nAccept: a\r\nAccept: b\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.ReadResponse()), 200);
}

TEST(HttpServerLimits, InvalidBytesAndMalformedRequestsGet400) {
  Running running(Limited(), Echo);
  for (const std::string& bad : {std::string("GET /v1/jobs/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"),
                                 std::string("GET /v1/\xc0\xaf HTTP/1.1\r\nHost: x\r\n\r\n"),
                                 std::string("GET /v1/\x01 HTTP/1.1\r\nHost: x\r\n\r\n"),
                                 std::string("GET /x HTTP/1.1\r\nHost: x\r\nIdempotency-Key: \xff\xfe\r\n\r\n"),
                                 std::string("GARBAGE\r\n\r\n"),
                                 std::string("GET /x HTTP/1.1\r\nBad Field: y\r\n\r\n"),
                                 std::string("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")}) {
    RawConnection c(running.port());
    ASSERT_TRUE(c.Send(bad));
    const std::string response = c.ReadResponse();
    EXPECT_EQ(StatusOf(response), 400) << bad << "\n" << response;
    EXPECT_NE(response.find("application/problem+json"), std::string::npos) << response;
  }
  // UTF-8 in the target is fine.
  RawConnection ok(running.port());
  ASSERT_TRUE(ok.Send("GET /v1/\xe7\xae\x97 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n"));
  EXPECT_EQ(StatusOf(ok.ReadResponse()), 200);
}

TEST(HttpServerLimits, AHandlerExceptionIsA500AndTheServerGoesOn) {
  Running running(Limited(), [](const HttpRequest& r) -> HttpResponse {
    if (r.target == "/throw") throw std::runtime_error("boom");
    if (r.target == "/throw-int") throw 7;
    return Echo(r);
  });
  RawConnection c(running.port());
  for (const char* target : {"/throw", "/throw-int"}) {
    ASSERT_TRUE(c.Send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n"));
    ExpectProblem(c.ReadResponse(), 500, "failed to handle");
  }
  EXPECT_EQ(running.server().handler_exceptions(), 2u);
  ASSERT_TRUE(c.Send("GET /fine HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.ReadResponse()), 200);
}

TEST(HttpServerLimits, ConnectionsPerClientAddressAreCapped) {
  HttpServerOptions options = Limited();
  options.max_connections_per_client = 3;
  Running running(options, Echo);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(running.port()));
    ASSERT_TRUE(held.back()->Send("GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n"));
    EXPECT_EQ(StatusOf(held.back()->ReadResponse()), 200);
  }
  RawConnection fourth(running.port());
  ExpectProblem(fourth.ReadResponse(), 503, "more than 3 open connections");
  EXPECT_TRUE(fourth.Closed());
  held.pop_back();
  // The slot is free again once the server saw the close.
  ASSERT_TRUE(testing::WaitUntil([&] {
    RawConnection again(running.port());
    again.Send("GET /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer good\r\n\r\n");
    return StatusOf(again.ReadResponse()) == 200;
  }, 5s));
}

}  // namespace
}  // namespace suanwang
