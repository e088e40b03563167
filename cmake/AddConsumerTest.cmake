# eigentorch_add_consumer_test(NAME MODE CONSUMER_DIR [-D VAR=value ...]): registers a ctest that runs
# cmake/ConsumerTest.cmake on the small project in CONSUMER_DIR, against an install of this build tree
# (MODE find_package) or the source tree (MODE add_subdirectory); extra arguments go to the script
# before -P. It configures and compiles a whole project, so it gets room (TIMEOUT 900).
function(eigentorch_add_consumer_test name mode consumer_dir)
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND}
      -D MODE=${mode}
      -D CONSUMER_DIR=${consumer_dir}
      -D WORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/consumer/${name}
      -D EIGENTORCH_SOURCE_DIR=${PROJECT_SOURCE_DIR}
      -D EIGENTORCH_BINARY_DIR=${PROJECT_BINARY_DIR}
      -D CONFIG=$<CONFIG>
      -D GENERATOR=${CMAKE_GENERATOR}
      -D MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
      -D CXX_COMPILER=${CMAKE_CXX_COMPILER}
      "-DCXX_FLAGS=${CMAKE_CXX_FLAGS}"
      ${ARGN}
      -P ${PROJECT_SOURCE_DIR}/cmake/ConsumerTest.cmake)
  set_tests_properties(${name} PROPERTIES TIMEOUT 900)
endfunction()
