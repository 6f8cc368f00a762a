#include "services/gateway/http_message.h"

namespace todo::gateway {

HttpResponse WithBody(int status, absl::string_view content_type, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"content-type", std::string(content_type)}};
  response.body = std::move(body);
  return response;
}

HttpResponse Json(int status, std::string body) {
  return WithBody(status, "application/json", std::move(body));
}

HttpResponse TextResponse(int status, absl::string_view text) {
  return WithBody(status, "text/plain", std::string(text));
}

const std::string* HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace todo::gateway
