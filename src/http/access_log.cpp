#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iterator>
#include <string>

#include "http/detail/server_impl.hpp"
#include "http/text.hpp"
#include "tenantry/core/logging.hpp"

namespace tenantry::http {

namespace {

/// The tenant for log lines: "-" when the request has none (yet).
std::string_view log_tenant(const Request& req) {
  return req.annotations.tenant.empty() ? std::string_view("-") : std::string_view(req.annotations.tenant);
}

}  // namespace

namespace detail {

std::shared_ptr<spdlog::logger> access_logger() {
  if (auto logger = spdlog::get(kAccessLogger)) return logger;
  auto logger = spdlog::default_logger()->clone(kAccessLogger);
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {  // registered concurrently by someone else
    if (auto existing = spdlog::get(kAccessLogger)) return existing;
  }
  return logger;
}

}  // namespace detail

/// A request's error line. With the JSON log format its request id, tenant, method and path are members of
/// the line, as on the access line, so that a log query finds them without parsing the message.
void Server::Impl::log_request_event(spdlog::level::level_enum level, const Request& req,
                                     std::string_view what) const {
  const std::string text = fmt::format("request {} {} {} tenant={} {}", req.request_id, req.method, req.path,
                                       log_tenant(req), what);
  if (!options.access_log_json) {
    spdlog::log(level, "{}", text);
    return;
  }
  std::string line = R"({"message":")";
  detail::append_json_escaped(line, text);
  line += R"(","request_id":")";
  detail::append_json_escaped(line, req.request_id);
  line += R"(","tenant":")";
  detail::append_json_escaped(line, req.annotations.tenant);
  line += R"(","method":")";
  detail::append_json_escaped(line, req.method);
  line += R"(","path":")";
  detail::append_json_escaped(line, req.path);
  line += "\"}";
  detail::access_logger()->log(level, spdlog::string_view_t(line.data(), line.size()));
}

void Server::Impl::log_access(const Request& req, const Response& res, Clock::duration elapsed) {
  if (!access->should_log(spdlog::level::info)) return;
  thread_local std::string line;
  line.clear();
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  // The path as sent (still percent-encoded, without the query, which may carry secrets).
  std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  const std::string_view method = req.method.empty() ? std::string_view("-") : std::string_view(req.method);
  if (path.empty()) path = "-";
  const std::string_view client =
      req.remote_address.empty() ? std::string_view("-") : std::string_view(req.remote_address);
  // JSON says "" for none (as it always has); text says "-", so that the fields stay apart.
  std::string_view tenant = req.annotations.tenant;
  std::string_view route = req.annotations.route;
  if (!options.access_log_json) {
    if (tenant.empty()) tenant = "-";
    if (route.empty()) route = "-";
  }
  if (options.access_log_json) {
    // One object: with the JSON log format its members join the line's (tenantry/core/logging.hpp).
    line += R"({"message":")";
    detail::append_json_escaped(line, method);
    line += ' ';
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), R"( {}","method":")", res.status);
    detail::append_json_escaped(line, method);
    line += R"(","path":")";
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), R"(","status":{},"duration_ms":{:.3f},"tenant":")", res.status,
                   ms);
    detail::append_json_escaped(line, tenant);
    line += R"(","route":")";
    detail::append_json_escaped(line, route);
    line += R"(","request_id":")";
    detail::append_json_escaped(line, req.request_id);
    line += R"(","client":")";
    detail::append_json_escaped(line, client);
    line += "\"}";
  } else {
    detail::append_json_escaped(line, method);
    line += ' ';
    detail::append_json_escaped(line, path);
    fmt::format_to(std::back_inserter(line), " {} {:.3f}ms tenant=", res.status, ms);
    detail::append_json_escaped(line, tenant);
    line += " request_id=";
    line += req.request_id;
    line += " client=";
    detail::append_json_escaped(line, client);
    line += " route=";
    detail::append_json_escaped(line, route);
  }
  access->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace tenantry::http
