# The module chain: core ← db ← migrations ← tenancy ← auth ← web ← apps ← cli, with http and mail beside db.
# Each module is one target that links only the modules named in DEPENDS, which must exist already: the
# order of declaration is the chain. A module's code may include only its own headers and those of the
# modules it depends on, directly or transitively; a configure-time scan of the #include lines refuses any
# other edge (a back edge such as migrations -> tenancy, or src/ -> apps/), naming the file and the modules.
# The scan runs when CMake configures: a fresh configure (CI) catches every edge.
#
# tenantry_add_module(NAME <name> SOURCES <files>... [DEPENDS <modules>...] [EXECUTABLE] [TARGET <target>]
#                     [HEADER_DIRS <dirs>...] [HEADERS <files>...] [INCLUDE_PREFIXES <prefixes>...])
#   Creates the static library (or with EXECUTABLE the program) <target> (default tenantry_<name>), linking
#   the targets of DEPENDS publicly. Scanned: SOURCES, the headers beside them (or only HEADERS when given)
#   and HEADER_DIRS (default include/tenantry/<name>/ when it exists). An include belongs to the module whose INCLUDE_PREFIXES
#   (default "tenantry/<name>/" and "<name>/") is its longest match; includes no module claims (the standard
#   library, Boost, ...) are not checked.

define_property(GLOBAL PROPERTY TENANTRY_MODULES BRIEF_DOCS "Modules in declaration order"
                FULL_DOCS "Names given to tenantry_add_module(), in the order they were declared.")

function(_tenantry_module_includes out)
  set(found "")
  foreach(file IN LISTS ARGN)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*$" "\\1" path "${line}")
      list(APPEND found "${file}|${path}")
    endforeach()
  endforeach()
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

# Registers <name> with its include prefixes, the modules it may include and the includes of its files.
function(tenantry_register_module name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;FILES;INCLUDE_PREFIXES" ${ARGN})
  get_property(known GLOBAL PROPERTY TENANTRY_MODULES)
  if(name IN_LIST known)
    message(FATAL_ERROR "Module '${name}' is declared twice")
  endif()
  set(allowed "${name}")
  foreach(dep IN LISTS ARG_DEPENDS)
    if(NOT dep IN_LIST known)
      message(FATAL_ERROR "Module '${name}' depends on '${dep}', which is not declared before it: a module may "
                          "depend only on modules to its left (declared so far: ${known})")
    endif()
    get_property(dep_allowed GLOBAL PROPERTY "TENANTRY_MODULE_ALLOWED_${dep}")
    list(APPEND allowed ${dep_allowed})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  _tenantry_module_includes(includes ${ARG_FILES})
  set_property(GLOBAL APPEND PROPERTY TENANTRY_MODULES "${name}")
  set_property(GLOBAL PROPERTY "TENANTRY_MODULE_ALLOWED_${name}" "${allowed}")
  set_property(GLOBAL PROPERTY "TENANTRY_MODULE_PREFIXES_${name}" "${ARG_INCLUDE_PREFIXES}")
  set_property(GLOBAL PROPERTY "TENANTRY_MODULE_INCLUDES_${name}" "${includes}")
  get_property(scheduled GLOBAL PROPERTY TENANTRY_MODULE_CHECK_SCHEDULED)
  if(NOT scheduled)
    # After the last module of the project: an include may name a module declared later (a back edge).
    set_property(GLOBAL PROPERTY TENANTRY_MODULE_CHECK_SCHEDULED TRUE)
    cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL tenantry_check_module_chain)
  endif()
endfunction()

# The module an include path belongs to (longest prefix), or "" when no module claims it.
function(_tenantry_module_of path out)
  get_property(modules GLOBAL PROPERTY TENANTRY_MODULES)
  set(best "")
  set(best_length 0)
  foreach(module IN LISTS modules)
    get_property(prefixes GLOBAL PROPERTY "TENANTRY_MODULE_PREFIXES_${module}")
    foreach(prefix IN LISTS prefixes)
      string(LENGTH "${prefix}" length)
      string(SUBSTRING "${path}" 0 ${length} head)
      if(head STREQUAL prefix AND length GREATER best_length)
        set(best "${module}")
        set(best_length ${length})
      endif()
    endforeach()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

function(tenantry_check_module_chain)
  get_property(modules GLOBAL PROPERTY TENANTRY_MODULES)
  set(errors "")
  foreach(module IN LISTS modules)
    get_property(allowed GLOBAL PROPERTY "TENANTRY_MODULE_ALLOWED_${module}")
    get_property(includes GLOBAL PROPERTY "TENANTRY_MODULE_INCLUDES_${module}")
    foreach(entry IN LISTS includes)
      string(FIND "${entry}" "|" bar REVERSE)
      string(SUBSTRING "${entry}" 0 ${bar} file)
      math(EXPR after "${bar} + 1")
      string(SUBSTRING "${entry}" ${after} -1 path)
      _tenantry_module_of("${path}" owner)
      if(owner AND NOT owner IN_LIST allowed)
        file(RELATIVE_PATH shown "${CMAKE_SOURCE_DIR}" "${file}")
        list(JOIN allowed ", " allowed_text)
        string(APPEND errors "  ${shown} (module ${module}) includes \"${path}\" of module ${owner}; "
                             "${module} may include only: ${allowed_text}\n")
      endif()
    endforeach()
  endforeach()
  if(errors)
    message(FATAL_ERROR "Module chain violated (a module may include only modules to its left):\n${errors}")
  endif()
endfunction()

function(tenantry_add_module)
  cmake_parse_arguments(ARG "EXECUTABLE" "NAME;TARGET" "SOURCES;DEPENDS;HEADER_DIRS;HEADERS;INCLUDE_PREFIXES" ${ARGN})
  if(NOT ARG_TARGET)
    set(ARG_TARGET "tenantry_${ARG_NAME}")
  endif()
  if(NOT DEFINED ARG_HEADER_DIRS AND IS_DIRECTORY "${PROJECT_SOURCE_DIR}/include/tenantry/${ARG_NAME}")
    set(ARG_HEADER_DIRS "${PROJECT_SOURCE_DIR}/include/tenantry/${ARG_NAME}")
  endif()
  if(NOT ARG_INCLUDE_PREFIXES)
    set(ARG_INCLUDE_PREFIXES "tenantry/${ARG_NAME}/" "${ARG_NAME}/")
  endif()
  set(files "")
  foreach(source IN LISTS ARG_SOURCES)
    get_filename_component(source "${source}" ABSOLUTE)
    list(APPEND files "${source}")
    if(NOT DEFINED ARG_HEADERS)
      get_filename_component(dir "${source}" DIRECTORY)
      file(GLOB beside "${dir}/*.hpp")
      list(APPEND files ${beside})
    endif()
  endforeach()
  foreach(header IN LISTS ARG_HEADERS)
    get_filename_component(header "${header}" ABSOLUTE)
    list(APPEND files "${header}")
  endforeach()
  foreach(dir IN LISTS ARG_HEADER_DIRS)
    file(GLOB_RECURSE headers "${dir}/*.hpp")
    list(APPEND files ${headers})
  endforeach()
  list(REMOVE_DUPLICATES files)
  tenantry_register_module(${ARG_NAME} DEPENDS ${ARG_DEPENDS} FILES ${files}
                           INCLUDE_PREFIXES ${ARG_INCLUDE_PREFIXES})
  set_property(GLOBAL PROPERTY "TENANTRY_MODULE_TARGET_${ARG_NAME}" "${ARG_TARGET}")
  set(dep_targets "")
  foreach(dep IN LISTS ARG_DEPENDS)
    get_property(dep_target GLOBAL PROPERTY "TENANTRY_MODULE_TARGET_${dep}")
    list(APPEND dep_targets "${dep_target}")
  endforeach()
  if(ARG_EXECUTABLE)
    add_executable(${ARG_TARGET} ${ARG_SOURCES})
    target_link_libraries(${ARG_TARGET} PRIVATE ${dep_targets})
  else()
    add_library(${ARG_TARGET} STATIC ${ARG_SOURCES})
    target_link_libraries(${ARG_TARGET} PUBLIC ${dep_targets})
  endif()
  if(TARGET tenantry_warnings)
    target_link_libraries(${ARG_TARGET} PRIVATE tenantry_warnings)
  endif()
endfunction()

# tenantry_add_app(NAME <app> SOURCES <files>... [MIGRATIONS <dir>] [DEPENDS <other apps>...]
#                  [EMBED <name> <files>...])
#   One app of apps/<app>/: the library tenantry_app_<app> (module apps/<app>, on web, auth and mail, and on
#   the apps of DEPENDS, which must be declared before it), its migrations from <dir>/shared and
#   <dir>/tenant, embedded static files, and a place in the registry: tenantry_add_app_registry() lists the
#   apps' descriptors (`tenantry::apps::<app>::descriptor()`, declared in apps/<app>/<app>_app.hpp) in the
#   order of their tenantry_add_app(), which is the order their migrations run in.
function(tenantry_add_app)
  cmake_parse_arguments(ARG "" "NAME;MIGRATIONS" "SOURCES;DEPENDS;EMBED" ${ARGN})
  set(module "apps/${ARG_NAME}")
  set(target "tenantry_app_${ARG_NAME}")
  set(deps web mail)
  foreach(dep IN LISTS ARG_DEPENDS)
    list(APPEND deps "apps/${dep}")
  endforeach()
  tenantry_add_module(NAME ${module} TARGET ${target} DEPENDS ${deps} SOURCES ${ARG_SOURCES} HEADER_DIRS ""
                      INCLUDE_PREFIXES "apps/${ARG_NAME}/")
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(ARG_MIGRATIONS)
    tenantry_add_migrations(TARGET ${target} APP ${ARG_NAME} NAMESPACE tenantry::apps::${ARG_NAME}
                            DIR ${ARG_MIGRATIONS})
  endif()
  if(ARG_EMBED)
    list(POP_FRONT ARG_EMBED embed_name)
    tenantry_embed_files(TARGET ${target} NAME ${embed_name} NAMESPACE tenantry::apps::${ARG_NAME}
                         FILES ${ARG_EMBED})
  endif()
  set_property(GLOBAL APPEND PROPERTY TENANTRY_APPS "${ARG_NAME}")
endfunction()

# tenantry_add_app_registry(SOURCES <files>... [DEPENDS <modules>...])
#   The module `apps` (target tenantry_apps): <files> plus a generated source defining
#   `tenantry::apps::descriptors()` over every app declared so far, in declaration order. Links them all.
function(tenantry_add_app_registry)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS" ${ARGN})
  get_property(apps GLOBAL PROPERTY TENANTRY_APPS)
  set(includes "")
  set(entries "")
  set(modules "")
  list(LENGTH apps count)
  foreach(app IN LISTS apps)
    string(APPEND includes "#include \"apps/${app}/${app}_app.hpp\"\n")
    string(APPEND entries "      &${app}::descriptor(),\n")
    list(APPEND modules "apps/${app}")
  endforeach()
  set(out "${CMAKE_CURRENT_BINARY_DIR}/apps_registry.cpp")
  file(CONFIGURE OUTPUT "${out}" CONTENT [=[// Generated by tenantry_add_app_registry() (cmake/TenantryModules.cmake) from apps/CMakeLists.txt.
#include <array>

#include "apps/registry.hpp"
@includes@
namespace tenantry::apps {

std::span<const web::AppDescriptor* const> descriptors() {
  static const std::array<const web::AppDescriptor*, @count@> apps{
@entries@  };
  return apps;
}

}  // namespace tenantry::apps
]=] @ONLY)
  tenantry_add_module(NAME apps TARGET tenantry_apps DEPENDS ${modules} ${ARG_DEPENDS}
                      SOURCES ${ARG_SOURCES} "${out}" HEADER_DIRS "" INCLUDE_PREFIXES "apps/")
  target_include_directories(tenantry_apps PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()
