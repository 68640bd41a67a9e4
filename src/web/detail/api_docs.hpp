#pragma once

#include <string>

#include "tenantry/http/request.hpp"
#include "tenantry/http/response.hpp"

namespace tenantry::web::detail {

/// GET /api/docs: a self-contained page that renders the OpenAPI document beside it.
http::Response api_docs_page();
/// GET /api/openapi.json: the prebuilt `document` with the address it was read from as its server.
http::Response openapi_response(const http::Request& request, const std::string& document);

}  // namespace tenantry::web::detail
