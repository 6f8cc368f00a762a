#include "common/http_client/curl_client.h"

#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace todo::common::http_client {
namespace {

struct Transfer {
  const std::function<bool(absl::string_view)>* on_data = nullptr;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t received = 0;
  size_t limit = 0;
  bool too_large = false;
  bool cancelled = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  transfer->received += bytes;
  if (transfer->received > transfer->limit) {
    transfer->too_large = true;
    return 0;  // aborts the transfer
  }
  if (transfer->on_data != nullptr) {
    if (!(*transfer->on_data)(absl::string_view(data, bytes))) {
      transfer->cancelled = true;
      return 0;
    }
  } else {
    transfer->body.append(data, bytes);
  }
  return bytes;
}

// One header line ("Retry-After: 2\r\n"); the status line and the blank
// line have no colon. A redirect's or a 100's headers are dropped when the
// next response starts.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) transfer->headers.clear();
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    transfer->headers.emplace_back(
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(line.substr(0, colon))),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

absl::StatusOr<HttpResponse> Perform(const HttpRequest& request, Transfer& transfer) {
  if (!absl::StartsWith(request.url, "http://") && !absl::StartsWith(request.url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("not an http(s) URL: ", request.url));
  }
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) {
    return absl::ResourceExhaustedError("cannot create an HTTP handle");
  }
  std::unique_ptr<curl_slist, ListDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = absl::StrCat(name, ": ", value);
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  }
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.connect_timeout)));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers.get());
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &transfer);

  const CURLcode code = curl_easy_perform(handle);
  if (transfer.too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat("response from ", request.url, " exceeds ", transfer.limit, " bytes"));
  }
  if (transfer.cancelled) {
    return absl::CancelledError("transfer stopped by the receiver");
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(absl::StrCat("HTTP request timed out: ", request.url));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("HTTP request to ", request.url, " failed: ", curl_easy_strerror(code)));
  }
  HttpResponse response;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  const char* content_type = nullptr;
  curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) {
    response.content_type = content_type;
  }
  response.body = std::move(transfer.body);
  response.headers = std::move(transfer.headers);
  return response;
}

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

CurlClient::CurlClient() {
  // curl_global_init is not thread-safe; a function-local static runs it once.
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
}

absl::StatusOr<HttpResponse> CurlClient::Send(const HttpRequest& request) const {
  Transfer transfer;
  transfer.limit = request.max_response_bytes;
  return Perform(request, transfer);
}

absl::StatusOr<HttpResponse> CurlClient::SendStreaming(
    const HttpRequest& request, const std::function<bool(absl::string_view)>& on_data) const {
  Transfer transfer;
  transfer.limit = request.max_response_bytes;
  transfer.on_data = &on_data;
  return Perform(request, transfer);
}

}  // namespace todo::common::http_client
