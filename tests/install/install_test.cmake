# ctest driver, run with `cmake -P`: installs the ksim build tree into a fresh temporary prefix,
# checks what a consumer needs is there (libraries, self-contained headers, CMake package,
# pkg-config file), builds and runs tests/install/consumer through find_package(ksim) and through
# `pkg-config --cflags --libs ksim`, builds the example driver against it, checks the service
# files (systemd units that `systemd-analyze verify` accepts, pointing into the prefix; the
# default topology, configs and docs they name), and removes the temporary directory whatever
# happens.
cmake_minimum_required(VERSION 3.25)

foreach(var KSIM_BUILD_DIR KSIM_LIBDIR KSIM_INCLUDEDIR KSIM_BINDIR KSIM_DATADIR KSIM_DOCDIR KSIM_SYSCONFDIR CONSUMER_DIR
            CONSUMER_GENERATOR CONSUMER_CXX PKG_CONFIG SYSTEMD_ANALYZE)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND mktemp -d --tmpdir ksim-install-test.XXXXXX OUTPUT_VARIABLE tmp
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mktemp failed: ${rc}")
endif()
set(prefix "${tmp}/prefix")

# Every failure removes the temporary directory first.
function(fail what)
  file(REMOVE_RECURSE "${tmp}")
  message(FATAL_ERROR "${what}")
endfunction()

# Runs a command; fails the test with its output when it exits non-zero. OUT receives stdout.
function(run what out)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr)
  if(NOT rc EQUAL 0)
    fail("${what} failed (${rc}):\n  ${ARGN}\n${stdout}\n${stderr}")
  endif()
  set(${out} "${stdout}" PARENT_SCOPE)
endfunction()

# 1. Install.
run("cmake --install" ignored ${CMAKE_COMMAND} --install "${KSIM_BUILD_DIR}" --prefix "${prefix}")
foreach(file
    ${KSIM_LIBDIR}/libksim.a ${KSIM_LIBDIR}/libksim_wire.a ${KSIM_LIBDIR}/libksim_shm.a ${KSIM_LIBDIR}/libksim_proto.a
    ${KSIM_LIBDIR}/cmake/ksim/ksimConfig.cmake ${KSIM_LIBDIR}/cmake/ksim/ksimConfigVersion.cmake
    ${KSIM_LIBDIR}/cmake/ksim/ksimTargets.cmake ${KSIM_LIBDIR}/pkgconfig/ksim.pc
    ${KSIM_INCLUDEDIR}/ksim/client/client.hpp ${KSIM_BINDIR}/ksimd ${KSIM_BINDIR}/ksimctl)
  if(NOT EXISTS "${prefix}/${file}")
    fail("not installed: ${file}")
  endif()
endforeach()

# 2. Installed headers are self-contained: every ksim header they include is installed too, and
#    nothing private to the daemon is.
set(include_root "${prefix}/${KSIM_INCLUDEDIR}")
if(EXISTS "${include_root}/ksim/daemon")
  fail("daemon headers were installed: ${include_root}/ksim/daemon")
endif()
file(GLOB_RECURSE headers RELATIVE "${include_root}" "${include_root}/*")
list(LENGTH headers header_count)
if(header_count LESS 10)
  fail("only ${header_count} headers installed under ${include_root}: ${headers}")
endif()
foreach(header IN LISTS headers)
  if(NOT header MATCHES "^ksim/(client|proto|wire|shm)/[a-z_]+\\.hpp$" AND NOT header MATCHES "^ksim/ddk/[a-z_]+\\.h$")
    fail("unexpected installed file ${include_root}/${header}")
  endif()
  file(STRINGS "${include_root}/${header}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<]ksim/")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[^\"<]*[\"<]([^\">]+)[\">].*$" "\\1" included "${line}")
    if(NOT EXISTS "${include_root}/${included}")
      fail("${header} includes ${included}, which is not installed")
    endif()
  endforeach()
endforeach()

# 3. find_package(ksim) from the prefix, then run the consumer against a socket that does not exist.
set(socket "${tmp}/no-daemon/ksimd.sock")
run("configuring the find_package consumer" ignored
    ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${tmp}/cmake-consumer" -G "${CONSUMER_GENERATOR}"
    -DCMAKE_CXX_COMPILER=${CONSUMER_CXX} -DCMAKE_PREFIX_PATH=${prefix}
    "-DCMAKE_CXX_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_FLAGS}")
file(STRINGS "${tmp}/cmake-consumer/CMakeCache.txt" ksim_dir REGEX "^ksim_DIR:")
if(NOT ksim_dir STREQUAL "ksim_DIR:PATH=${prefix}/${KSIM_LIBDIR}/cmake/ksim")
  fail("find_package(ksim) found another installation: ${ksim_dir}")
endif()
run("building the find_package consumer" ignored ${CMAKE_COMMAND} --build "${tmp}/cmake-consumer")
run("running the find_package consumer" out "${tmp}/cmake-consumer/ksim_consumer" "${socket}")
message(STATUS "find_package consumer: ${out}")

# 4. The same program through pkg-config, with the pc file found only in the prefix.
set(ENV{PKG_CONFIG_PATH} "${prefix}/${KSIM_LIBDIR}/pkgconfig")
run("pkg-config" pc_flags ${PKG_CONFIG} --cflags --libs ksim)
string(STRIP "${pc_flags}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
# The .pc file is relocatable (paths relative to itself): its -I and -L must resolve into the prefix.
set(resolved "")
foreach(flag IN LISTS pc_flags)
  if(flag MATCHES "^-[IL](.+)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" path)
    list(APPEND resolved "${path}")
  endif()
endforeach()
file(REAL_PATH "${include_root}" real_include)
file(REAL_PATH "${prefix}/${KSIM_LIBDIR}" real_libdir)
if(NOT real_include IN_LIST resolved OR NOT real_libdir IN_LIST resolved)
  fail("pkg-config's paths (${resolved}) do not point into the prefix ${prefix}: ${pc_flags}")
endif()
separate_arguments(extra_flags UNIX_COMMAND "${CONSUMER_FLAGS}")
run("compiling the consumer with pkg-config's flags" ignored
    ${CONSUMER_CXX} ${extra_flags} "${CONSUMER_DIR}/main.cpp" -o "${tmp}/pkg-config-consumer" ${pc_flags})
run("running the pkg-config consumer" out "${tmp}/pkg-config-consumer" "${socket}")
message(STATUS "pkg-config consumer: ${out}")

# 5. The example minidriver built as a driver vendor builds it, against the installed driver API:
#    its own CMake project with find_package(ksim) (target ksim::ddk), then with pkg-config
#    (ksim-ddk.pc). The installed ksimctl loads each module and validates a config naming it.
run("configuring avscam against the installed package" ignored
    ${CMAKE_COMMAND} -S "${KSIM_SOURCE_DIR}/examples/drivers/avscam" -B "${tmp}/avscam" -G "${CONSUMER_GENERATOR}"
    -DCMAKE_C_COMPILER=${CONSUMER_CC} -DCMAKE_PREFIX_PATH=${prefix} -DKSIM_AVSCAM_SELFTEST=OFF
    "-DCMAKE_C_FLAGS=${CONSUMER_FLAGS}" "-DCMAKE_MODULE_LINKER_FLAGS=${CONSUMER_FLAGS}")
run("building avscam against the installed package" ignored ${CMAKE_COMMAND} --build "${tmp}/avscam")
set(config "${KSIM_SOURCE_DIR}/configs/minidriver-avscam-vendor-dma.json")
set(ENV{KSIM_DRIVER_PATH} "${tmp}/avscam/drivers")
run("validating a config with the find_package-built driver" out "${prefix}/${KSIM_BINDIR}/ksimctl" validate "${config}")
run("pkg-config ksim-ddk" ddk_flags ${PKG_CONFIG} --cflags ksim-ddk)
string(STRIP "${ddk_flags}" ddk_flags)
separate_arguments(ddk_flags UNIX_COMMAND "${ddk_flags}")
file(GLOB avscam_sources "${KSIM_SOURCE_DIR}/examples/drivers/avscam/*.c")
file(MAKE_DIRECTORY "${tmp}/avscam-pc")
run("compiling avscam with pkg-config's flags" ignored
    ${CONSUMER_CC} ${extra_flags} -std=c11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden ${ddk_flags}
    ${avscam_sources} -o "${tmp}/avscam-pc/libksim_avscam.so")
set(ENV{KSIM_DRIVER_PATH} "${tmp}/avscam-pc")
run("validating a config with the pkg-config-built driver" out "${prefix}/${KSIM_BINDIR}/ksimctl" validate "${config}")
message(STATUS "avscam built against the installed driver API (find_package and pkg-config)")

# 6. The service: units configured for this prefix (not the configured one), which systemd's own
#    checker accepts (it fails on an ExecStart= that is not executable), naming a topology, docs
#    and a sysusers.d entry that were installed too.
set(system_units "${prefix}/lib/systemd/system")
set(user_units "${prefix}/lib/systemd/user")
foreach(file
    lib/systemd/system/ksimd.service lib/systemd/system/ksim-graphmgr.service lib/systemd/user/ksimd.service
    lib/sysusers.d/ksim.conf ${KSIM_SYSCONFDIR}/ksim/topology.json ${KSIM_DATADIR}/ksim/configs/topology.schema.json
    ${KSIM_DATADIR}/ksim/configs/demo-capture-1080p.json ${KSIM_DOCDIR}/ksimd.md ${KSIM_DOCDIR}/README.md)
  if(NOT EXISTS "${prefix}/${file}")
    fail("not installed: ${file}")
  endif()
endforeach()
foreach(unit "${system_units}/ksimd.service" "${system_units}/ksim-graphmgr.service" "${user_units}/ksimd.service")
  file(STRINGS "${unit}" exec REGEX "^ExecStart=")
  if(NOT exec MATCHES "^ExecStart=${prefix}/${KSIM_BINDIR}/ksim")
    fail("${unit} does not start a binary of the prefix ${prefix}: ${exec}")
  endif()
  if(exec MATCHES "/ksimd " AND NOT exec MATCHES "--config ([^ ]+)")
    fail("${unit} starts ksimd without --config: ${exec}")
  endif()
  set(config "${CMAKE_MATCH_1}")  # set by the match above (ksimd units only)
  if(exec MATCHES "/ksimd " AND NOT EXISTS "${config}")
    fail("${unit} names a topology that was not installed: ${config}")
  endif()
  file(STRINGS "${unit}" doc REGEX "^Documentation=file://")
  string(REGEX REPLACE "^Documentation=file://" "" doc "${doc}")
  if(NOT EXISTS "${doc}")
    fail("${unit}'s Documentation= names ${doc}, which was not installed")
  endif()
endforeach()
run("systemd-analyze verify (system units)" ignored
    ${SYSTEMD_ANALYZE} verify "${system_units}/ksimd.service" "${system_units}/ksim-graphmgr.service")
# A user manager's checker needs a runtime directory of its own.
file(MAKE_DIRECTORY "${tmp}/xdg-runtime")
run("systemd-analyze --user verify (user unit)" ignored
    ${CMAKE_COMMAND} -E env "XDG_RUNTIME_DIR=${tmp}/xdg-runtime"
    ${SYSTEMD_ANALYZE} --user verify "${user_units}/ksimd.service")
unset(ENV{KSIM_DRIVER_PATH})
run("validating the installed default topology" ignored
    "${prefix}/${KSIM_BINDIR}/ksimctl" validate "${prefix}/${KSIM_SYSCONFDIR}/ksim/topology.json")
message(STATUS "service files verified: ${system_units}, ${user_units}")

file(REMOVE_RECURSE "${tmp}")
if(EXISTS "${tmp}")
  fail("could not remove ${tmp}")
endif()
