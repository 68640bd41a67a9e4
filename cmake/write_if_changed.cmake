# write_if_changed(PATH CONTENT): rewrites PATH only when CONTENT differs, so that an unchanged embedding does not
# rebuild what depends on it. Included by the embed_*.cmake scripts (run with cmake -P).
function(write_if_changed path content)
  if(EXISTS "${path}")
    file(READ "${path}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${path}" "${content}")
endfunction()
