# One throwaway PostgreSQL cluster per ctest run: started by a setup test, stopped by a cleanup test. Every
# test that needs PostgreSQL requires the fixture and creates its own database in that cluster, so tests run
# in parallel. TENANTRY_TEST_DATABASE_URL points the tests at an existing server instead.
set(TENANTRY_TEST_CLUSTER_DIR "${CMAKE_BINARY_DIR}/test-cluster")

# Two kinds of test binaries, labelled for ctest (`ctest -L unit` runs in seconds with no database):
#   tenantry_add_unit_tests(<name> <sources>...)  pure tests (`*_test.cpp`): label `unit`, no PostgreSQL.
#   tenantry_add_pg_tests(<name> <sources>...)    tests against the cluster (`*_pgtest.cpp`): label `pg`.
# The browser test has the label `browser`.
function(tenantry_add_unit_tests name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tenantry_test_support GTest::gtest GTest::gmock tenantry_warnings)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

function(tenantry_add_pg_tests name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tenantry_test_support GTest::gtest GTest::gmock tenantry_warnings)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES FIXTURES_REQUIRED postgres LABELS pg
               ENVIRONMENT "TENANTRY_TEST_CLUSTER_DIR=${TENANTRY_TEST_CLUSTER_DIR}"
               TIMEOUT 120)
endfunction()
