# The paths every installed pkg-config file (ksim.pc, ksim-ddk.pc) writes: relative to the .pc
# file itself (${pcfiledir}), so an install with `--prefix` elsewhere than CMAKE_INSTALL_PREFIX
# still points at its own headers and libraries. Absolute install dirs are kept as they are.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(KSIM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(KSIM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH pc_to_prefix "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(KSIM_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(KSIM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(KSIM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(KSIM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
