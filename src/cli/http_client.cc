#include "cli/http_client.h"

#include <httplib.h>

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace suanwang {

namespace {

std::string Env(const char* name) { return std::getenv(name) ? std::getenv(name) : ""; }

// `url:` and `token:` of the config file, if there is one; a malformed file is reported once
// and ignored (flags and the environment still work).
std::pair<std::string, std::string> FromConfigFile() {
  std::string path = Env("SUANWANG_CONFIG");
  if (path.empty() && !Env("HOME").empty()) path = Env("HOME") + "/.config/suanwang/config.yaml";
  if (path.empty() || !std::filesystem::exists(path)) return {};
  try {
    YAML::Node config = YAML::LoadFile(path);
    return {config["url"] ? config["url"].as<std::string>() : "", config["token"] ? config["token"].as<std::string>() : ""};
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "warning: config file %s ignored: %s\n", path.c_str(), e.what());
    return {};
  }
}

}  // namespace

Endpoint ResolveEndpoint(const std::string& url_flag, const std::string& token_flag) {
  Endpoint e;
  const auto [config_url, config_token] = FromConfigFile();
  e.url = !url_flag.empty()           ? url_flag
          : !Env("SUANWANG_URL").empty() ? Env("SUANWANG_URL")
          : !config_url.empty()          ? config_url
                                         : "http://127.0.0.1:8080";
  e.token = !token_flag.empty()            ? token_flag
            : !Env("SUANWANG_TOKEN").empty() ? Env("SUANWANG_TOKEN")
                                             : config_token;
  return e;
}

std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint.url);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_connection_timeout(5);
  client->set_read_timeout(30);
  if (!endpoint.token.empty()) client->set_bearer_token_auth(endpoint.token);
  return client;
}

}  // namespace suanwang
