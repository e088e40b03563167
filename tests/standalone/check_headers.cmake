# Every header under include/, compiled on its own: one `-fsyntax-only` compiler run per header, each
# on a one-line file that includes only that header. Fails listing the headers that do not compile
# alone. Run by ctest (test `headers_syntax`) as
#   cmake -D LIST=<file written by tests/CMakeLists.txt at configure time> -D WORK_DIR=<scratch>
#         [-D JOBS=<n>] -P check_headers.cmake
# where LIST sets CXX (the compiler), FLAGS (its flags: standard, warnings, CMAKE_CXX_FLAGS),
# INCLUDE_DIRS (include/), SYSTEM_INCLUDE_DIRS (Eigen's), INCLUDE_ROOT (include/) and HEADERS (the headers, globbed when
# the suite was configured); -D JOBS=<n> sets how many compilers run at once (2).
cmake_minimum_required(VERSION 3.21)

foreach(var IN ITEMS LIST WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_headers: pass -D ${var}=...")
  endif()
endforeach()
include("${LIST}")
if(NOT HEADERS)
  message(FATAL_ERROR "check_headers: ${LIST} lists no header")
endif()

set(include_args "")
foreach(dir IN LISTS INCLUDE_DIRS)
  list(APPEND include_args "-I${dir}")
endforeach()
foreach(dir IN LISTS SYSTEM_INCLUDE_DIRS)
  list(APPEND include_args "-isystem" "${dir}")
endforeach()

if(NOT JOBS)
  set(JOBS 2)
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# One source per header that includes only that header, by its path under include/ (<eigentorch/...>),
# as a user would.
set(names "")
foreach(header IN LISTS HEADERS)
  file(RELATIVE_PATH name "${INCLUDE_ROOT}" "${header}")
  string(MAKE_C_IDENTIFIER "${name}" stem)
  file(WRITE "${WORK_DIR}/${stem}.cpp" "#include <${name}>\n")
  list(APPEND names "${name}")
endforeach()

function(compile_command out name)
  string(MAKE_C_IDENTIFIER "${name}" stem)
  set(${out} COMMAND "${CXX}" ${FLAGS} ${include_args} -fsyntax-only "${WORK_DIR}/${stem}.cpp" PARENT_SCOPE)
endfunction()

# JOBS compilers at a time (execute_process runs its COMMANDs concurrently; they print nothing on
# stdout, so the pipe between them carries nothing); a header that fails is compiled again alone, so
# that its diagnostics are reported on their own.
set(failed "")
set(warned "")
list(LENGTH names count)
set(first 0)
while(first LESS count)
  math(EXPR last "${first} + ${JOBS} - 1")
  if(last GREATER_EQUAL count)
    math(EXPR last "${count} - 1")
  endif()
  set(commands "")
  set(batch "")
  foreach(i RANGE ${first} ${last})
    list(GET names ${i} name)
    compile_command(command "${name}")
    list(APPEND commands ${command})
    list(APPEND batch "${name}")
  endforeach()
  execute_process(${commands} RESULTS_VARIABLE results OUTPUT_VARIABLE output ERROR_VARIABLE output)
  set(j 0)
  foreach(name IN LISTS batch)
    list(GET results ${j} result)
    math(EXPR j "${j} + 1")
    math(EXPR index "${first} + ${j}")
    if(NOT result STREQUAL "0" OR NOT output STREQUAL "")
      compile_command(command "${name}")
      execute_process(${command} RESULT_VARIABLE result OUTPUT_VARIABLE alone ERROR_VARIABLE alone)
      if(NOT result STREQUAL "0")
        list(APPEND failed "${name}")
        message(NOTICE "[${index}/${count}] ${name}: FAILED (${result})\n${alone}")
        continue()
      elseif(NOT alone STREQUAL "")
        list(APPEND warned "${name}")
        message(NOTICE "[${index}/${count}] ${name}: ok, with diagnostics\n${alone}")
        continue()
      endif()
    endif()
    message(STATUS "[${index}/${count}] ${name}: ok")
  endforeach()
  math(EXPR first "${last} + 1")
endwhile()

if(warned)
  list(JOIN warned "\n  " warned_lines)
  message(NOTICE "check_headers: these headers compile on their own, with diagnostics:\n  ${warned_lines}")
endif()
if(failed)
  list(LENGTH failed nfailed)
  list(JOIN failed "\n  " failed_lines)
  message(FATAL_ERROR "check_headers: ${nfailed} of ${count} headers do not compile on their own:\n  ${failed_lines}")
endif()
message(STATUS "check_headers: all ${count} headers compile on their own")
