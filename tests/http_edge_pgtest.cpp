// The HTTP edge of a running Tenantry server, over a socket: which tenant an absolute-form target reaches,
// what list links say at the far end of a list.
#include <boost/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tenant_test_case.hpp"

namespace tenantry {
namespace {

using testing::HttpClient;
using testing::HttpResponse;
using testing::json;
using testing::str;

class HttpEdgeTest : public testing::TenantTestCase {
 protected:
  std::string bearer(const std::string& role, const std::string& store = kStore) {
    return "Authorization: Bearer " + token(role, store);
  }
  void add_products(int n) {
    for (int i = 0; i < n; ++i) {
      const auto r =
          post("/api/products",
               {{"sku", "SKU-" + std::to_string(i)}, {"name", "Cable"}, {"price_cents", 100}}, "staff");
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
};

// RFC 9112 §3.2.2: the target's authority names the tenant; the Host header is ignored. A store's token is
// valid on that store only, so a 200 shows which store answered.
TEST_F(HttpEdgeTest, AbsoluteFormTargetChoosesTheTenantNotTheHostHeader) {
  const auto store =
      request("GET", "http://store.localhost/api/me", {"Host: other.localhost", bearer("owner")});
  EXPECT_EQ(store.status, 200) << store.body;
  const auto other = request("GET", "http://OTHER.localhost:8080/api/me",
                             {"Host: store.localhost", bearer("owner", kOtherStore)});
  EXPECT_EQ(other.status, 200) << other.body;
  // Origin-form: the Host header decides, as before.
  EXPECT_EQ(request("GET", "/api/me", {"Host: other.localhost", bearer("owner")}).status, 401);
  // A public host in the target reaches the public routes, whatever Host says.
  EXPECT_EQ(request("GET", "http://localhost/admin/", {"Host: store.localhost"}).status, 200);
  EXPECT_EQ(request("GET", "/admin/", {"Host: store.localhost"}).status, 404);

  // The routed path is the target's, and list links point where the client pointed.
  add_products(2);
  const auto list = request("GET", "http://store.localhost:8080/api/products?limit=1&q=Cable",
                            {"Host: other.localhost", bearer("viewer")});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(str(json(list)["next"]), "http://store.localhost:8080/api/products?q=Cable&limit=1&offset=1");
}

// offset is any non-negative int64: next and previous must not come from an overflowing sum.
TEST_F(HttpEdgeTest, ListLinksAreRightAtAnyOffset) {
  add_products(3);
  const std::string base = "http://store.localhost/api/products?limit=";
  auto page = [&](const std::string& query) {
    const auto r = get("/api/products?" + query, "viewer");
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return json(r);
  };
  auto far = page("offset=9223372036854775807&limit=100");
  EXPECT_EQ(far["count"], 3);
  EXPECT_TRUE(far["results"].as_array().empty());
  EXPECT_TRUE(far["next"].is_null()) << far["next"];
  EXPECT_EQ(str(far["previous"]), base + "100");  // back to the last page there is: the first
  auto far2 = page("limit=2&offset=9223372036854775800");
  EXPECT_TRUE(far2["next"].is_null());
  EXPECT_EQ(str(far2["previous"]), base + "2&offset=1");
  auto middle = page("limit=1&offset=1");
  EXPECT_EQ(str(middle["next"]), base + "1&offset=2");
  EXPECT_EQ(str(middle["previous"]), base + "1");
  auto last = page("limit=1&offset=2");
  EXPECT_TRUE(last["next"].is_null());
  EXPECT_EQ(str(last["previous"]), base + "1&offset=1");

  for (const char* bad : {"offset=9223372036854775808", "offset=-1", "limit=0", "limit=9223372036854775807",
                          "limit=-9223372036854775808"}) {
    const auto r = get(std::string("/api/products?") + bad, "viewer");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
}

}  // namespace
}  // namespace tenantry
