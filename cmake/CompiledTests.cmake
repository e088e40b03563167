# The compiled mode's tests, registered from tests/CMakeLists.txt (include() it there, at its end):
#
# - consumer_compiled: installs this build tree (with libeigentorch_compiled.a) into a scratch
#   prefix, builds tests/consumer/compiled against it with find_package(eigentorch COMPONENTS
#   compiled) and eigentorch::compiled, runs its program and the spec's tour built the same way, and
#   checks the tour's stdout against tests/data/seed_tour.expected (chaotic lines by shape, as
#   spec_tour_transcript does).
# - with EIGENTORCH_TESTS_USE_COMPILED (OFF by default), the unit-test executable eigentorch_tests
#   links eigentorch::compiled, so the whole doctest suite runs against the compiled mode.
# Nothing is registered unless the build has the library (EIGENTORCH_BUILD_COMPILED=ON).
if(NOT TARGET eigentorch_compiled)
  return()
endif()

include(${PROJECT_SOURCE_DIR}/cmake/AddConsumerTest.cmake)
eigentorch_add_consumer_test(consumer_compiled find_package ${PROJECT_SOURCE_DIR}/tests/consumer/compiled
  -D EXPECTED=${PROJECT_SOURCE_DIR}/tests/data/seed_tour.expected
  -D MASK=${PROJECT_SOURCE_DIR}/tests/data/seed_tour.mask)
set_tests_properties(consumer_compiled PROPERTIES LABELS "consumer;compiled")

option(EIGENTORCH_TESTS_USE_COMPILED "Link the unit tests to eigentorch::compiled (compiled mode)" OFF)
if(EIGENTORCH_TESTS_USE_COMPILED AND TARGET eigentorch_tests)
  target_link_libraries(eigentorch_tests PRIVATE eigentorch::compiled)
endif()
