# One throwaway PostgreSQL cluster per ctest run: started by a setup test, stopped by a cleanup test. Every
# test that needs PostgreSQL requires the fixture and creates its own database in that cluster, so tests run
# in parallel. TENANTRY_TEST_DATABASE_URL points the tests at an existing server instead.
set(TENANTRY_TEST_CLUSTER_DIR "${CMAKE_BINARY_DIR}/test-cluster")

# tenantry_add_test_binary(<name> <sources>...)
function(tenantry_add_test_binary name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE tenantry_test_support GTest::gtest GTest::gmock tenantry_warnings)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES FIXTURES_REQUIRED postgres
               ENVIRONMENT "TENANTRY_TEST_CLUSTER_DIR=${TENANTRY_TEST_CLUSTER_DIR}"
               TIMEOUT 120)
endfunction()
