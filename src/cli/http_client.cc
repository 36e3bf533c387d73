#include "cli/http_client.h"

#include <fcntl.h>
#include <httplib.h>

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

// Debian's libcpp-httplib.so is built with OpenSSL: the header must see the same configuration
// (pkg-config's Cflags carry it; see src/CMakeLists.txt).
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#error "httplib.h without CPPHTTPLIB_OPENSSL_SUPPORT: link the target with PkgConfig::HTTPLIB"
#endif

namespace suanwang {

namespace {

std::string Env(const char* name) { return std::getenv(name) ? std::getenv(name) : ""; }

struct ConfigFile {
  std::string url, token, ca;
};

// `url:`, `token:` and `ca:` of the config file, if there is one; a malformed file is reported
// once and ignored (flags and the environment still work).
ConfigFile FromConfigFile() {
  std::string path = Env("SUANWANG_CONFIG");
  if (path.empty() && !Env("HOME").empty()) path = Env("HOME") + "/.config/suanwang/config.yaml";
  if (path.empty() || !std::filesystem::exists(path)) return {};
  try {
    YAML::Node config = YAML::LoadFile(path);
    auto value = [&](const char* key) { return config[key] ? config[key].as<std::string>() : std::string(); };
    return {value("url"), value("token"), value("ca")};
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "warning: config file %s ignored: %s\n", path.c_str(), e.what());
    return {};
  }
}

}  // namespace

Endpoint ResolveEndpoint(const std::string& url_flag, const std::string& token_flag, const std::string& ca_flag) {
  Endpoint e;
  const ConfigFile config = FromConfigFile();
  e.url = !url_flag.empty()           ? url_flag
          : !Env("SUANWANG_URL").empty() ? Env("SUANWANG_URL")
          : !config.url.empty()          ? config.url
                                         : "http://127.0.0.1:8080";
  e.token = !token_flag.empty()            ? token_flag
            : !Env("SUANWANG_TOKEN").empty() ? Env("SUANWANG_TOKEN")
                                             : config.token;
  const std::string home_ca = (Env("SUANWANG_HOME").empty() ? std::string(".suanwang") : Env("SUANWANG_HOME")) + "/ca.pem";
  std::error_code ec;
  e.ca = !ca_flag.empty()                ? ca_flag
         : !Env("SUANWANG_CA").empty()   ? Env("SUANWANG_CA")
         : !config.ca.empty()            ? config.ca
         : std::filesystem::exists(home_ca, ec) ? home_ca
                                         : "";
  return e;
}

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint.url);
  client->set_tcp_nodelay(true);
  client->set_socket_options([](socket_t sock) { ::fcntl(sock, F_SETFD, FD_CLOEXEC); });
  client->set_keep_alive(true);
  client->set_connection_timeout(5);
  client->set_read_timeout(30);
  if (!endpoint.ca.empty()) client->set_ca_cert_path(endpoint.ca);
  client->enable_server_certificate_verification(true);
  if (!endpoint.token.empty()) client->set_bearer_token_auth(endpoint.token);
  return client;
}

}  // namespace suanwang
