#pragma once

// The fixture of the tickets API tests (service_pgtest.cpp, workflow_pgtest.cpp).
#include <set>
#include <string>
#include <vector>

#include "tenant_test_case.hpp"
#include "tenantry/http/problem.hpp"

namespace tenantry::apps::service {

using testing::error_fields;
using testing::HttpResponse;
using testing::json;
using testing::str;

/// The forward path of a repair, after "received".
inline const std::vector<std::string> kPath{"diagnosing", "waiting_parts", "repairing", "ready", "delivered"};

class ServiceTest : public testing::TenantTestCase {
 protected:
  static boost::json::object ticket(const std::string& customer = "Ada Lovelace") {
    return {{"customer_name", customer}, {"device", "Pixel 7"}, {"problem", "Cracked screen"}};
  }
  static std::string path(std::int64_t id, const std::string& tail = "") {
    return "/api/tickets/" + std::to_string(id) + tail;
  }

  std::int64_t user_id(const std::string& email) {
    return std::stoll(sql("SELECT id FROM users WHERE email = '" + email + "'", ""));
  }

  /// Opens a ticket as staff and returns its id.
  std::int64_t open(const boost::json::object& body = ticket()) {
    auto r = post("/api/tickets", body, "staff");
    EXPECT_EQ(r.status, 201) << r.body;
    return json(r)["id"].as_int64();
  }

  HttpResponse transition(std::int64_t id, const std::string& to, const std::string& role = "staff") {
    return post(path(id, "/transition"), {{"to", to}}, role);
  }

  /// Moves a ticket along the forward path until it reaches `status`.
  void advance(std::int64_t id, const std::string& status) {
    if (status == "received") return;
    for (const auto& next : kPath) {
      auto r = transition(id, next);
      ASSERT_EQ(r.status, 200) << next << ": " << r.body;
      if (next == status) return;
    }
  }

  std::vector<std::int64_t> ids(const std::string& query) {
    auto r = get("/api/tickets" + query, "viewer");
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<std::int64_t> out;
    if (r.status != 200) return out;
    const auto body = json(r);
    for (const auto& t : body.at("results").as_array()) out.push_back(t.at("id").as_int64());
    return out;
  }
};

using Ids = std::vector<std::int64_t>;

inline std::string problem(const char* slug) {
  return std::string(http::kProblemTypeBase) + slug;
}

}  // namespace tenantry::apps::service
