# The version `tenantry --version` prints: the project version and, when the source tree is a git checkout,
# `git describe` at configure time (re-run cmake to refresh it; a build never calls git).
find_package(Git QUIET)
set(TENANTRY_GIT_DESCRIBE "")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --tags --always --dirty
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE TENANTRY_GIT_DESCRIBE
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE tenantry_git_result)
  if(NOT tenantry_git_result EQUAL 0)
    set(TENANTRY_GIT_DESCRIBE "")
  endif()
endif()

# Only the file that prints it sees the definitions, so a changed description recompiles one file.
function(tenantry_version_definitions source)
  set_source_files_properties(${source} PROPERTIES COMPILE_DEFINITIONS
    "TENANTRY_VERSION=\"${PROJECT_VERSION}\";TENANTRY_GIT_DESCRIBE=\"${TENANTRY_GIT_DESCRIBE}\"")
endfunction()
