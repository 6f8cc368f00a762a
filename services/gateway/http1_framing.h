#pragma once

// HTTP/1.1 framing (RFC 9112): the rules the gateway holds a request to
// before reading its body, beyond what Beast's parser checks (a request that
// breaks one is answered with the given refusal and its connection closed,
// so that no byte of it is ever read as a request of its own: smuggling),
// and how a response's head is written.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "services/gateway/gateway_handler.h"

namespace todo::gateway {

// True when a line of the request head in `buffered` (the head, perhaps
// followed by more) starts with a space or tab: obs-fold (RFC 9112 5.2),
// which Beast joins silently while a proxy in front may read it otherwise.
bool HasObsFold(absl::string_view buffered);

// The refusal for a parsed head, or nullopt: a Transfer-Encoding other than
// exactly `chunked` (501 for an unknown coding before a final chunked, 400
// when chunked is not last; RFC 9112 6.1 and 7), or an HTTP/1.1 request
// without exactly one Host (400; 3.2).
std::optional<HttpResponse> FramingError(
    const boost::beast::http::request_parser<boost::beast::http::string_body>& parser);

// The status line and headers of `response`, appended to `out`:
// x-content-type-options, its own headers, then content-length (or
// transfer-encoding: chunked) and connection.
void AppendResponseHead(const HttpResponse& response, bool keep_alive, bool chunked,
                        std::string& out);

}  // namespace todo::gateway
