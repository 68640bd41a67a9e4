# tenantry_add_migrations(TARGET <target> APP <name> NAMESPACE <c++ namespace> DIR <dir>)
#
# Embeds an app's migrations into <target>: every <dir>/shared/NNNN_*.sql and <dir>/tenant/NNNN_*.sql becomes a
# string in a generated source that defines `const tenantry::migrations::App& <namespace>::app()`.
function(tenantry_add_migrations)
  cmake_parse_arguments(ARG "" "TARGET;APP;NAMESPACE;DIR" "" ${ARGN})
  file(GLOB shared_sql CONFIGURE_DEPENDS "${ARG_DIR}/shared/*.sql")
  file(GLOB tenant_sql CONFIGURE_DEPENDS "${ARG_DIR}/tenant/*.sql")
  list(SORT shared_sql)
  list(SORT tenant_sql)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_APP}_migrations.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DAPP=${ARG_APP} -DNAMESPACE=${ARG_NAMESPACE} "-DSHARED=${shared_sql}"
            "-DTENANT=${tenant_sql}" -DOUT=${out} -P "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    DEPENDS ${shared_sql} ${tenant_sql} "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
            "${PROJECT_SOURCE_DIR}/cmake/write_if_changed.cmake"
    COMMENT "Embedding migrations of app ${ARG_APP}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()

# tenantry_embed_files(TARGET <target> NAME <name> NAMESPACE <c++ namespace> FILES <files>...)
#
# Embeds static files (e.g. the admin console) into <target>: the generated source defines
# `std::span<const tenantry::EmbeddedFile> <namespace>::<name>()` with each file's name and content.
function(tenantry_embed_files)
  cmake_parse_arguments(ARG "" "TARGET;NAME;NAMESPACE" "FILES" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}_files.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DNAME=${ARG_NAME} -DNAMESPACE=${ARG_NAMESPACE} "-DFILES=${ARG_FILES}" -DOUT=${out}
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
    DEPENDS ${ARG_FILES} "${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake"
            "${PROJECT_SOURCE_DIR}/cmake/write_if_changed.cmake"
    COMMENT "Embedding ${ARG_NAME}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()
