# Project-wide compiler settings: warnings (errors in CI) and the sanitizer builds.
add_compile_options(-Wall -Wextra)
if(KSIM_WERROR)
  add_compile_options(-Werror)
endif()
if(KSIM_SANITIZE AND KSIM_TSAN)
  message(FATAL_ERROR "KSIM_SANITIZE (ASan + UBSan) and KSIM_TSAN cannot be combined")
endif()
# KSIM_SANITIZER_FLAGS is also handed to the install-consumer test, which builds a separate
# project against the installed libksim and must use the same runtime.
set(KSIM_SANITIZER_FLAGS "")
if(KSIM_SANITIZE)
  # -fno-sanitize=vptr: UBSan's dynamic-type check reports Boost 1.74's constant-initialized
  # error categories (boost/system/error_code.hpp failed_impl) as objects with an invalid vptr
  # once an accept fails with EMFILE, and aborts ksimd; every other UBSan check stays on.
  set(KSIM_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
elseif(KSIM_TSAN)
  # -Wno-tsan: GCC warns that TSan does not model std::atomic_thread_fence. The ring and pool
  # wake protocols use a seq_cst fence only to order "waiter is sleeping" against the index;
  # the data itself is published by acquire/release pairs, which TSan does model.
  set(KSIM_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
endif()
if(KSIM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR KSIM_SANITIZE OR KSIM_TSAN)
    message(FATAL_ERROR "KSIM_FUZZ needs clang (libFuzzer) and excludes KSIM_SANITIZE/KSIM_TSAN")
  endif()
  # Everything is instrumented for coverage; only the fuzz targets link libFuzzer's main.
  set(KSIM_SANITIZER_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=all)
  # libstdc++ 12 declares std::expected only when __cpp_concepts >= 202002L, a stand-in for
  # P0848 (conditionally trivial special members). clang 16 implements P0848 but still reports
  # 201907L, so the fuzz build states the level it supports (docs/fuzzing.md).
  add_compile_options(-Wno-builtin-macro-redefined -U__cpp_concepts -D__cpp_concepts=202002L)
endif()
if(KSIM_SANITIZER_FLAGS)
  add_compile_options(${KSIM_SANITIZER_FLAGS})
  add_link_options(${KSIM_SANITIZER_FLAGS})
endif()
