// The CLI's connection to a server: URL and token from flags or the environment.
#pragma once

#include <memory>
#include <string>

namespace httplib {
class Client;
}

namespace suanwang {

// The config file is $SUANWANG_CONFIG, else ~/.config/suanwang/config.yaml, with `url:` and
// `token:` keys.
struct Endpoint {
  std::string url;    // --url, else $SUANWANG_URL, else the config file's, else http://127.0.0.1:8080
  std::string token;  // --token, else $SUANWANG_TOKEN, else the config file's
};
Endpoint ResolveEndpoint(const std::string& url_flag, const std::string& token_flag);

// A keep-alive client with TCP_NODELAY (without it each request waits ~40 ms for Nagle).
std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint);

}  // namespace suanwang
