# Project-wide compiler settings: warnings (errors in CI) and the sanitizer build.
add_compile_options(-Wall -Wextra)
if(KSIM_WERROR)
  add_compile_options(-Werror)
endif()
if(KSIM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# Adds each listed subdirectory that has a CMakeLists.txt, so modules can grow independently.
function(ksim_add_present_subdirectories)
  foreach(dir IN LISTS ARGN)
    if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt")
      add_subdirectory(${dir})
    endif()
  endforeach()
endfunction()
