// The local CA of `suanwang up`: a CA, a server certificate for 127.0.0.1/localhost and a
// client certificate "site:ID" it signs, all verifiable by OpenSSL, files 0600 and directories
// 0700; reused when present, reissued when they no longer fit.
#include "security/local_ca.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "testlib/child_process.h"
#include "testlib/test_cluster.h"

namespace suanwang {
namespace {

using testing::ReadFile;
using testing::RunShell;

std::string Dir(const std::string& name) {
  const std::string dir = std::filesystem::path(testing::WriteTempFile("marker", "")).parent_path() / name;
  std::filesystem::remove_all(dir);
  return dir;
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(LocalCa, IssuesVerifiableServerAndClientCertificatesInPrivateFiles) {
  const std::string dir = Dir("ca-issue");
  auto ca = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/tls/ca.key", "suanwang test CA");
  ASSERT_TRUE(ca) << ca.error().message;
  LeafCertificateSpec server{"localhost", {"localhost"}, {"127.0.0.1"}, true};
  auto issued = ca->EnsureLeaf(server, dir + "/tls/server.pem", dir + "/tls/server.key");
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_TRUE(*issued);
  LeafCertificateSpec agent{"site:sh-edge", {}, {}, false};
  ASSERT_TRUE(ca->EnsureLeaf(agent, dir + "/tls/agents/sh-edge.pem", dir + "/tls/agents/sh-edge.key"));

  for (const char* f : {"/ca.pem", "/tls/ca.key", "/tls/server.pem", "/tls/server.key", "/tls/agents/sh-edge.key"}) {
    EXPECT_EQ(Mode(dir + f), 0600u) << f;
  }
  EXPECT_EQ(Mode(dir + "/tls"), 0700u);
  EXPECT_EQ(Mode(dir + "/tls/agents"), 0700u);

  auto v = RunShell("openssl verify -purpose sslserver -CAfile " + dir + "/ca.pem " + dir + "/tls/server.pem 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  v = RunShell("openssl verify -purpose sslclient -CAfile " + dir + "/ca.pem " + dir + "/tls/agents/sh-edge.pem 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  // The client certificate is not a server's, and the server's names are the loopback ones.
  v = RunShell("openssl verify -purpose sslserver -CAfile " + dir + "/ca.pem " + dir + "/tls/agents/sh-edge.pem 2>&1");
  EXPECT_NE(v.exit_code, 0) << v.output;
  v = RunShell("openssl x509 -noout -ext subjectAltName -in " + dir + "/tls/server.pem");
  EXPECT_NE(v.output.find("DNS:localhost"), std::string::npos) << v.output;
  EXPECT_NE(v.output.find("IP Address:127.0.0.1"), std::string::npos) << v.output;

  auto cn = CertificateCommonName(ReadFile(dir + "/tls/agents/sh-edge.pem"));
  ASSERT_TRUE(cn) << cn.error().message;
  EXPECT_EQ(*cn, "site:sh-edge");
}

TEST(LocalCa, ReusesWhatFitsAndReissuesWhatDoesNot) {
  const std::string dir = Dir("ca-reuse");
  auto ca = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/ca.key", "CA");
  ASSERT_TRUE(ca);
  LeafCertificateSpec server{"localhost", {"localhost"}, {"127.0.0.1"}, true};
  ASSERT_TRUE(ca->EnsureLeaf(server, dir + "/s.pem", dir + "/s.key"));
  const std::string first = ReadFile(dir + "/s.pem");

  // A restart: the same CA and the same server certificate.
  auto again = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/ca.key", "CA");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->certificate_pem(), ca->certificate_pem());
  auto issued = again->EnsureLeaf(server, dir + "/s.pem", dir + "/s.key");
  ASSERT_TRUE(issued);
  EXPECT_FALSE(*issued);
  EXPECT_EQ(ReadFile(dir + "/s.pem"), first);

  // Other names: a new certificate.
  server.dns_names.push_back("example.test");
  issued = again->EnsureLeaf(server, dir + "/s.pem", dir + "/s.key");
  ASSERT_TRUE(issued);
  EXPECT_TRUE(*issued);
  EXPECT_NE(ReadFile(dir + "/s.pem"), first);

  // Signed by another CA: replaced by one of this CA's.
  auto other = LocalCa::LoadOrCreate(dir + "/other.pem", dir + "/other.key", "other");
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->EnsureLeaf(server, dir + "/s.pem", dir + "/s.key"));
  issued = again->EnsureLeaf(server, dir + "/s.pem", dir + "/s.key");
  ASSERT_TRUE(issued);
  EXPECT_TRUE(*issued);
  auto v = RunShell("openssl verify -CAfile " + dir + "/ca.pem " + dir + "/s.pem 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

TEST(LocalCa, RefusesAHalfCaAndFilesThatDoNotParse) {
  const std::string dir = Dir("ca-bad");
  std::filesystem::create_directories(dir);
  testing::RunShell("echo junk > " + dir + "/ca.pem");
  auto half = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/ca.key", "CA");
  ASSERT_FALSE(half);
  EXPECT_EQ(half.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(half.error().message.find("ca.key"), std::string::npos) << half.error().message;
  testing::RunShell("echo junk > " + dir + "/ca.key");
  auto junk = LocalCa::LoadOrCreate(dir + "/ca.pem", dir + "/ca.key", "CA");
  ASSERT_FALSE(junk);
  EXPECT_NE(junk.error().message.find("not a PEM certificate"), std::string::npos) << junk.error().message;
  EXPECT_FALSE(CertificateCommonName("junk"));
}

}  // namespace
}  // namespace suanwang
