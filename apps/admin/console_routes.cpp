// The admin console: static files compiled into the binary, served under /admin/.
#include "apps/admin/admin_state.hpp"

namespace tenantry::apps::admin {

std::span<const EmbeddedFile> console_files();

void register_console_routes(web::RouteTable& r) {
  for (const EmbeddedFile& file : console_files()) {
    const std::string path = file.name == "index.html" ? "/admin/" : "/admin/" + std::string(file.name);
    const std::string type = file.name.ends_with(".css")  ? "text/css; charset=utf-8"
                             : file.name.ends_with(".js") ? "text/javascript; charset=utf-8"
                                                          : "text/html; charset=utf-8";
    r.add("GET", path,
          [content = file.content, type](web::RequestContext&) -> Task<http::Response> {
            http::Response response = http::Response::text(200, std::string(content), type);
            response.add_header("Cache-Control", "no-cache");
            // Nothing but the console's own files and API; inline styles only for the style attributes
            // console.js sets. Never framed: its buttons suspend and drop tenants (clickjacking).
            response.add_header("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
                                "frame-ancestors 'none'");
            response.add_header("X-Frame-Options", "DENY");  // for browsers without frame-ancestors
            response.add_header("X-Content-Type-Options", "nosniff");
            response.add_header("Referrer-Policy", "no-referrer");
            co_return response;
          },
          {.summary = "Admin console: " + std::string(file.name), .tags = {"console"}, .undocumented = true});
  }
}

}  // namespace tenantry::apps::admin
