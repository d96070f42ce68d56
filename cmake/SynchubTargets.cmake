# Helpers that give every synchub target the same warnings and test conventions.

# synchub_warnings(<target>): the project's warning set; errors when SYNCHUB_WERROR is on.
function(synchub_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion)
  if(SYNCHUB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# synchub_test(<name> LABEL <unit|pg|e2e> SOURCES <files...> LIBS <targets...>)
# Builds a GoogleTest binary and registers its tests with CTest under the given label.
function(synchub_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  synchub_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL} DISCOVERY_TIMEOUT 30)
  # Collected per label for the aggregate targets synchub_<label>_tests (the sanitizer builds).
  set_property(GLOBAL APPEND PROPERTY SYNCHUB_TESTS_${ARG_LABEL} ${name})
endfunction()
