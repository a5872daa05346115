# Install rules: headers under include/ffnn/, the libraries, the CMake package (ffnnConfig.cmake,
# its version file and the exported targets ffnn::tensor, ffnn::nn, ffnn::io, ffnn::train),
# ffnn.pc for pkg-config, the ffnn program and the shipped data sets.
include(CMakePackageConfigHelpers)

set(FFNN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ffnn)

foreach(part tensor nn io train)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${part}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ffnn/${part}
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${FFNN_INCLUDE_DIR}/ffnn/version.hpp ${FFNN_INCLUDE_DIR}/ffnn/ffnn.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ffnn)

install(TARGETS ffnn_tensor ffnn_nn ffnn_io ffnn_train EXPORT ffnnTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT ffnnTargets NAMESPACE ffnn:: DESTINATION ${FFNN_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ffnnConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/ffnnConfig.cmake INSTALL_DESTINATION ${FFNN_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ffnnConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ffnnConfig.cmake ${PROJECT_BINARY_DIR}/ffnnConfigVersion.cmake
        DESTINATION ${FFNN_CMAKE_DIR})

# pkg-config: a static library needs its dependencies on the link line itself, a shared one
# only in Libs.private.
if(BUILD_SHARED_LIBS)
  set(FFNN_PC_LIBS_PRIVATE "-fopenmp -lz")
  set(FFNN_PC_LIBS "")
else()
  set(FFNN_PC_LIBS_PRIVATE "")
  set(FFNN_PC_LIBS "-fopenmp -lz")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/ffnn.pc.in ${PROJECT_BINARY_DIR}/ffnn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ffnn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET ffnn)
  install(TARGETS ffnn RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/data/iris.csv ${PROJECT_SOURCE_DIR}/data/digits.csv
              ${PROJECT_SOURCE_DIR}/data/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/ffnn/data)
