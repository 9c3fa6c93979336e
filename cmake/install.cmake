# install.cmake — what `cmake --install` puts in place for plug-in authors:
#   bin/stackrace (and the fuzz drivers of a fuzz preset), the public
#   headers, lib/libstackrace.so, the CMake package (find_package(stackrace):
#   stackrace::library, stackrace::stackrace, stackrace_add_plugin()) and
#   lib/pkgconfig/stackrace.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/stackrace)
install(FILES include/stackrace/model.h include/stackrace/plugin.h include/stackrace/native.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stackrace)
set_target_properties(stackrace_library PROPERTIES EXPORT_NAME library)
install(TARGETS stackrace_library EXPORT stackrace-targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS stackrace EXPORT stackrace-targets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT stackrace-targets NAMESPACE stackrace:: DESTINATION ${_cmakedir})
configure_package_config_file(cmake/stackrace-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/stackrace-config.cmake INSTALL_DESTINATION ${_cmakedir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/stackrace-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stackrace-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/stackrace-config-version.cmake
        DESTINATION ${_cmakedir})
file(RELATIVE_PATH STACKRACE_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" STACKRACE_PC_TO_PREFIX "${STACKRACE_PC_TO_PREFIX}")
configure_file(cmake/stackrace.pc.in ${CMAKE_CURRENT_BINARY_DIR}/stackrace.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/stackrace.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
