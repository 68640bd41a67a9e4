// Starts or stops the throwaway PostgreSQL cluster of one test run (ctest fixture set-up and clean-up).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "tenantry/db/embedded_cluster.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::cerr << "usage: tenantry_test_cluster start|stop DIR\n";
    return 2;
  }
  const std::string command = argv[1], dir = argv[2];
  if (const char* url = std::getenv("TENANTRY_TEST_DATABASE_URL"); url && *url) {
    std::cout << "using TENANTRY_TEST_DATABASE_URL; no cluster to " << command << "\n";
    return 0;
  }
  try {
    tenantry::db::EmbeddedCluster cluster({.dir = dir, .ephemeral = true, .database = "postgres"});
    if (command == "start") {
      cluster.start();
      std::ofstream(dir + "/conninfo") << cluster.conninfo() << "\n";
      // The roles the server uses: tests run it as they are meant to be used.
      std::ofstream(dir + "/owner_conninfo")
          << cluster.conninfo_as(tenantry::db::EmbeddedCluster::kOwnerRole) << "\n";
      std::ofstream(dir + "/runtime_conninfo")
          << cluster.conninfo_as(tenantry::db::EmbeddedCluster::kRuntimeRole) << "\n";
      std::cout << "test cluster running: " << cluster.conninfo() << "\n";
    } else {
      cluster.stop_unconditionally();
      std::cout << "test cluster stopped\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tenantry_test_cluster: " << e.what() << "\n";
    return 1;
  }
}
