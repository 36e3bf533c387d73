// The CLI's connection to a server: URL, token and CA file from flags, the environment or the
// config file.
#pragma once

#include <memory>
#include <string>

namespace httplib {
class Client;
}

namespace suanwang {

// The config file is $SUANWANG_CONFIG, else ~/.config/suanwang/config.yaml, with `url:`,
// `token:` and `ca:` keys.
struct Endpoint {
  std::string url;    // --url, else $SUANWANG_URL, else the config file's, else http://127.0.0.1:8080
  std::string token;  // --token, else $SUANWANG_TOKEN, else the config file's
  // The CA file an https server is verified against: --ca, else $SUANWANG_CA, else the config
  // file's, else HOME/ca.pem of `suanwang up`'s home ($SUANWANG_HOME, else ./.suanwang) when that
  // file exists; else the system's trusted CAs.
  std::string ca;
};
Endpoint ResolveEndpoint(const std::string& url_flag, const std::string& token_flag, const std::string& ca_flag = "");

// A keep-alive client with TCP_NODELAY (without it each request waits ~40 ms for Nagle), its
// sockets close-on-exec; an https URL is verified against endpoint.ca (certificate and host name).
std::unique_ptr<httplib::Client> MakeClient(const Endpoint& endpoint);

}  // namespace suanwang
