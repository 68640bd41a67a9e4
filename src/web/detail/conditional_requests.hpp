#pragma once

#include <string>
#include <string_view>

#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"

namespace tenantry::web::detail {

/// The strong entity tag of a representation: a quoted hash of its bytes (RFC 9110 §8.8.3). Computed from
/// the body the handler answered, so every JSON GET gets one without its handler knowing, and it changes
/// exactly when what a client would see changes.
std::string entity_tag(std::string_view body);

/// Whether `tag` is in an If-None-Match or If-Match field value: "*", or a comma-separated list of entity
/// tags. If-None-Match compares weakly (a W/ prefix is ignored), If-Match strongly (W/ never matches), as
/// RFC 9110 §13.1.1-2 say.
bool none_match_hits(std::string_view field, std::string_view tag);
bool match_hits(std::string_view field, std::string_view tag);

/// Gives a 200 JSON answer to GET, HEAD, PUT or PATCH its ETag (unless the handler set one), and turns a GET
/// or HEAD whose If-None-Match lists it into 304 Not Modified without a body.
void tag_representation(const http::Request& request, http::Response& response);

}  // namespace tenantry::web::detail
