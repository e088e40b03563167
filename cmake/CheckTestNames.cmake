# cmake -D PROGRAM=<a doctest executable> -P CheckTestNames.cmake
# Fails when a test case's name contains a ';'. doctest_discover_tests registers one ctest test per
# test case, and CMake reads a ';' in the name as a list separator: the name is cut in two, and
# each half's filter matches no test case, so the case never runs and ctest reports it passed.
execute_process(COMMAND ${PROGRAM} --list-test-cases --no-intro=true --no-version=true
                OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --list-test-cases failed (${rc})")
endif()
string(REPLACE ";" "<SEMICOLON>" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(bad "")
foreach(line IN LISTS lines)
  if(line MATCHES "<SEMICOLON>")
    string(REPLACE "<SEMICOLON>" ";" line "${line}")
    string(APPEND bad "  ${line}\n")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "test case names with a ';' (ctest would never run them; write ',' instead):\n${bad}")
endif()
