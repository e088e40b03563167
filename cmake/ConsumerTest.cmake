# Proves the packaging: builds and runs a small consumer project against eigentorch.
#
#   cmake -D MODE=find_package|add_subdirectory -D CONSUMER_DIR=<project> -D WORK_DIR=<scratch>
#         -D EIGENTORCH_SOURCE_DIR=<src> -D EIGENTORCH_BINARY_DIR=<build> [-D CONFIG=<config>]
#         [-D GENERATOR=<gen>] [-D MAKE_PROGRAM=<path>] [-D CXX_COMPILER=<path>] [-D CXX_FLAGS=<flags>]
#         [-D EXPECTED=<transcript> [-D MASK=<file>]] -P ConsumerTest.cmake
#
# find_package: installs the build tree into WORK_DIR/prefix and points the consumer there only.
# add_subdirectory: the consumer adds the source tree itself (and checks it got nothing but the
# library). Either way the consumer must build, run, exit 0 and print a tensor. With find_package the
# consumer also builds the spec's tour, which must run to its end; given EXPECTED (and MASK), its
# stdout must match that transcript by CompareTranscript.cmake's rules.
cmake_minimum_required(VERSION 3.21)

foreach(var IN ITEMS MODE CONSUMER_DIR WORK_DIR EIGENTORCH_SOURCE_DIR EIGENTORCH_BINARY_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ConsumerTest: pass -D ${var}=...")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

# Runs one step and stops with its output if it fails.
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result STREQUAL "0")
    message(NOTICE "${output}")
    message(FATAL_ERROR "ConsumerTest (${MODE}): ${what} failed: ${result}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(build_dir "${WORK_DIR}/build")
set(configure_args
  -S "${CONSUMER_DIR}" -B "${build_dir}"
  "-DCMAKE_BUILD_TYPE=${CONFIG}"
  "-DCMAKE_RUNTIME_OUTPUT_DIRECTORY=${WORK_DIR}/bin"
  # Only what we point at may be found: not a package registry, not an earlier install.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(GENERATOR)
  list(APPEND configure_args -G "${GENERATOR}")
endif()
if(MAKE_PROGRAM)
  list(APPEND configure_args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(DEFINED CXX_FLAGS)
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}")
endif()

if(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  run_step("install of ${EIGENTORCH_BINARY_DIR}"
    "${CMAKE_COMMAND}" --install "${EIGENTORCH_BINARY_DIR}" --prefix "${prefix}" --config "${CONFIG}")
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}"
    "-DEIGENTORCH_TOUR_SOURCE=${EIGENTORCH_SOURCE_DIR}/tests/data/spec_seed_tour.cpp")
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args "-DEIGENTORCH_SOURCE_DIR=${EIGENTORCH_SOURCE_DIR}")
else()
  message(FATAL_ERROR "ConsumerTest: unknown MODE '${MODE}'")
endif()

run_step("configure" "${CMAKE_COMMAND}" ${configure_args})

if(MODE STREQUAL "find_package")
  # The package must come from the fresh install, not from the source or build tree.
  file(STRINGS "${build_dir}/CMakeCache.txt" found_dir REGEX "^eigentorch_DIR:")
  string(FIND "${found_dir}" "=${prefix}/" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "ConsumerTest: eigentorch was not found in ${prefix}: ${found_dir}")
  endif()
endif()

run_step("build" "${CMAKE_COMMAND}" --build "${build_dir}" --config "${CONFIG}")

# Single-config generators put the program in bin/, multi-config ones in bin/<config>/.
set(program "${WORK_DIR}/bin/consumer")
if(NOT EXISTS "${program}")
  set(program "${WORK_DIR}/bin/${CONFIG}/consumer")
endif()
execute_process(COMMAND "${program}" RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
message(STATUS "ConsumerTest (${MODE}): consumer printed:\n${output}")
if(NOT result STREQUAL "0")
  message(FATAL_ERROR "ConsumerTest (${MODE}): ${program} failed: ${result}")
endif()
if(NOT output MATCHES "tensor\\(")
  message(FATAL_ERROR "ConsumerTest (${MODE}): ${program} printed no tensor")
endif()

if(MODE STREQUAL "find_package")
  # The tour, built against the installed package, runs to its end.
  set(tour "${WORK_DIR}/bin/tour")
  if(NOT EXISTS "${tour}")
    set(tour "${WORK_DIR}/bin/${CONFIG}/tour")
  endif()
  execute_process(COMMAND "${tour}" RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT result STREQUAL "0" OR NOT output MATCHES "Epoch 1000, training loss")
    message(FATAL_ERROR "ConsumerTest (${MODE}): the tour built against the installed package failed: ${result}\n${output}")
  endif()
  message(STATUS "ConsumerTest (${MODE}): the tour built against the installed package ran to Epoch 1000")
  if(DEFINED EXPECTED)
    set(compare_args -D "PROGRAM=${tour}" -D "EXPECTED=${EXPECTED}" -D "ACTUAL=${WORK_DIR}/tour.actual")
    if(DEFINED MASK)
      list(APPEND compare_args -D "MASK=${MASK}")
    endif()
    run_step("the tour's transcript (${WORK_DIR}/tour.actual against ${EXPECTED})"
      "${CMAKE_COMMAND}" ${compare_args} -P "${CMAKE_CURRENT_LIST_DIR}/CompareTranscript.cmake")
    message(STATUS "ConsumerTest (${MODE}): the tour's transcript matches ${EXPECTED}")
  endif()
endif()
