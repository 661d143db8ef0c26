# cmake --install: headers, libvsq.so + libvsq.a, the vsq tool, its man page,
# vsq.pc (pkg-config) and vsqConfig.cmake (find_package(vsq), target vsq::vsq).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(vsq_shared PROPERTIES EXPORT_NAME vsq)
install(TARGETS vsq_shared EXPORT vsqTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS vsq ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS vsq_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/vsq DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")

# pkg-config: relocatable (prefix relative to the .pc file), so that
# `cmake --install build --prefix DIR` works for any DIR. The static
# archive's dependencies are private: only `pkg-config --static` lists them.
set(VSQ_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH VSQ_PC_TO_PREFIX /prefix/${VSQ_PC_DIR} /prefix)
string(REGEX REPLACE "/$" "" VSQ_PC_TO_PREFIX "${VSQ_PC_TO_PREFIX}")
set(VSQ_PC_OPENMP "${OpenMP_C_FLAGS}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/vsq.pc.in ${PROJECT_BINARY_DIR}/vsq.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/vsq.pc DESTINATION ${VSQ_PC_DIR})

# CMake package: vsq::vsq is the shared library (its dependencies are
# private, so the config needs no find_dependency).
set(VSQ_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/vsq)
install(EXPORT vsqTargets NAMESPACE vsq:: DESTINATION ${VSQ_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vsqConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/vsqConfig.cmake INSTALL_DESTINATION ${VSQ_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/vsqConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vsqConfig.cmake ${PROJECT_BINARY_DIR}/vsqConfigVersion.cmake
        DESTINATION ${VSQ_CMAKE_DIR})

# Man page vsq(1) from `vsq --help`, `vsq --version` and every command's
# --help (help2man, Debian package help2man). Without help2man: no man page.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(VSQ_MAN ${PROJECT_BINARY_DIR}/vsq.1)
  add_custom_command(OUTPUT ${VSQ_MAN}
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/man_commands.sh $<TARGET_FILE:vsq_cli>
            ${PROJECT_BINARY_DIR}/vsq-commands.h2m
    COMMAND ${HELP2MAN} --no-info --no-discard-stderr
            --name "per-vector scaled quantization (VS-Quant) toolkit"
            --include ${PROJECT_BINARY_DIR}/vsq-commands.h2m
            --output ${VSQ_MAN} $<TARGET_FILE:vsq_cli>
    DEPENDS vsq_cli ${PROJECT_SOURCE_DIR}/cmake/man_commands.sh
    COMMENT "man page vsq.1 (help2man)" VERBATIM)
  add_custom_target(vsq_man ALL DEPENDS ${VSQ_MAN})
  install(FILES ${VSQ_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man not found: the vsq(1) man page is not built or installed")
endif()
