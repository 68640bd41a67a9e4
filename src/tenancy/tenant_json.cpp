#include "tenantry/tenancy/tenant_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

namespace tenantry::tenancy {

boost::json::object to_json(const Tenant& t) {
  boost::json::array domains;
  for (const auto& d : t.domains) domains.push_back({{"domain", d.domain}, {"is_primary", d.is_primary}});
  boost::json::object o{{"id", t.id.value},
                        {"schema", t.schema.str()},
                        {"slug", t.schema.str()},
                        {"name", t.name},
                        {"state", to_string(t.state)},
                        {"plan", t.plan},
                        {"domains", std::move(domains)},
                        {"created_at", db::format_rfc3339(t.created_at)},
                        {"updated_at", db::format_rfc3339(t.updated_at)}};
  o["settings"] = boost::json::parse(t.settings_json);
  if (t.state_reason) o["state_reason"] = *t.state_reason;
  if (t.maintenance) {
    boost::json::object m{{"since", db::format_rfc3339(t.maintenance->since)},
                          {"retry_after", t.maintenance->retry_after_seconds}};
    if (t.maintenance->message) m["message"] = *t.maintenance->message;
    o["maintenance"] = std::move(m);
  }
  return o;
}

}  // namespace tenantry::tenancy
