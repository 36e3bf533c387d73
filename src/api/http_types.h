// The HTTP exchange as the control plane's handlers see it: plain values, no networking.
#pragma once

#include <map>
#include <string>

namespace suanwang {

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path and query, e.g. "/v1/jobs?state=queued"
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  // Over mutual TLS: the subject common name of the client certificate the server verified
  // against its --client-ca (e.g. "site:sh-edge" for an agent's credential); empty otherwise.
  std::string client_identity;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

}  // namespace suanwang
