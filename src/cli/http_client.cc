#include "cli/http_client.h"

#include <httplib.h>

#include <cstdlib>

namespace suanwang {

Endpoint ResolveEndpoint(const std::string& url_flag, const std::string& token_flag) {
  Endpoint e;
  e.url = !url_flag.empty() ? url_flag : std::getenv("SUANWANG_URL") ? std::getenv("SUANWANG_URL") : "http://127.0.0.1:8080";
  e.token = !token_flag.empty() ? token_flag : std::getenv("SUANWANG_TOKEN") ? std::getenv("SUANWANG_TOKEN") : "";
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
