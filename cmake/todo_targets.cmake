# Helpers that give every target of ours the same warnings, include root,
# sanitizers and `::` alias, so that CMakeLists files only say what a target
# is made of and what it depends on.

set(TODO_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND TODO_WARNINGS -Wthread-safety)
endif()

set(_todo_sanitize_flags "")
foreach(_sanitizer IN LISTS TODO_SANITIZE)
  list(APPEND _todo_sanitize_flags "-fsanitize=${_sanitizer}")
endforeach()
if(_todo_sanitize_flags)
  list(APPEND _todo_sanitize_flags -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  # Sanitizers must cover every object that is linked, generated code included.
  add_compile_options(${_todo_sanitize_flags})
  add_link_options(${_todo_sanitize_flags})
endif()

# Settings shared by every target we write ourselves (not generated code).
function(_todo_apply_defaults target scope)
  target_compile_options(${target} ${scope} ${TODO_WARNINGS})
  target_include_directories(${target} ${scope} "${PROJECT_SOURCE_DIR}")
endfunction()

# todo_cc_library(NAME name ALIAS ns::name SRCS ... DEPS ...)
# A library without SRCS is header-only (INTERFACE).
function(todo_cc_library)
  cmake_parse_arguments(ARG "" "NAME;ALIAS" "SRCS;DEPS" ${ARGN})
  if(ARG_SRCS)
    add_library(${ARG_NAME} STATIC ${ARG_SRCS})
    _todo_apply_defaults(${ARG_NAME} PRIVATE)
    target_include_directories(${ARG_NAME} PUBLIC "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  else()
    add_library(${ARG_NAME} INTERFACE)
    target_include_directories(${ARG_NAME} INTERFACE "${PROJECT_SOURCE_DIR}")
    target_link_libraries(${ARG_NAME} INTERFACE ${ARG_DEPS})
  endif()
  if(ARG_ALIAS)
    add_library(${ARG_ALIAS} ALIAS ${ARG_NAME})
  endif()
endfunction()

# todo_cc_binary(NAME name SRCS ... DEPS ...)
function(todo_cc_binary)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT_NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  _todo_apply_defaults(${ARG_NAME} PRIVATE)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${ARG_NAME} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
endfunction()

# todo_cc_test(SRC file.cc DEPS ...)
# The file-name suffix says what a test needs and becomes its CTest label:
#   *_test.cc             -> unit         (nothing)
#   *_pgtest.cc           -> pg           (a throwaway Postgres from the harness)
#   *_integration_test.cc -> integration  (several servers)
function(todo_cc_test)
  cmake_parse_arguments(ARG "" "SRC;TIMEOUT" "DEPS" ${ARGN})
  get_filename_component(_name "${ARG_SRC}" NAME_WE)
  if(_name MATCHES "_integration_test$")
    set(_label integration)
  elseif(_name MATCHES "_interop_test$")
    set(_label interop)
  elseif(_name MATCHES "_pgtest$")
    set(_label pg)
  elseif(_name MATCHES "_test$")
    set(_label unit)
  else()
    message(FATAL_ERROR 
      "test file ${ARG_SRC} must end in _test, _pgtest, _integration_test or _interop_test")
  endif()
  add_executable(${_name} ${ARG_SRC})
  _todo_apply_defaults(${_name} PRIVATE)
  target_link_libraries(${_name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${_name} COMMAND ${_name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${_name} PROPERTIES LABELS ${_label} TIMEOUT ${ARG_TIMEOUT})
endfunction()

set(TODO_GOOGLEAPIS_DIR "/usr/share/gocode/src/github.com/gogo/googleapis"
    CACHE PATH "google/api and google/rpc protos (Debian golang-github-gogo-googleapis-dev)")
if(NOT EXISTS "${TODO_GOOGLEAPIS_DIR}/google/api/annotations.proto")
  message(FATAL_ERROR "google/api protos not found in ${TODO_GOOGLEAPIS_DIR}: "
                      "apt-get install golang-github-gogo-googleapis-dev")
endif()
set(TODO_PROTOBUF_INCLUDE_DIR "/usr/include" CACHE PATH "google/protobuf well-known protos")

# todo_proto_library(NAME name ALIAS ns::name PROTOS a.proto ... [GRPC] [DEPS ...])
# Generated code is compiled without our warnings and exposed as a system
# include directory, so -Werror never applies to it.
function(todo_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME;ALIAS;IMPORT_ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT ARG_IMPORT_ROOT)
    set(ARG_IMPORT_ROOT "${CMAKE_CURRENT_SOURCE_DIR}")
  endif()
  set(_out "${CMAKE_BINARY_DIR}/gen")
  set(_srcs "")
  foreach(_proto IN LISTS ARG_PROTOS)
    get_filename_component(_abs "${_proto}" ABSOLUTE)
    file(RELATIVE_PATH _rel "${ARG_IMPORT_ROOT}" "${_abs}")
    string(REGEX REPLACE "\\.proto$" "" _base "${_rel}")
    set(_generated "${_out}/${_base}.pb.cc" "${_out}/${_base}.pb.h")
    set(_plugin_args "")
    set(_plugin_deps "")
    if(ARG_GRPC)
      list(APPEND _generated "${_out}/${_base}.grpc.pb.cc" "${_out}/${_base}.grpc.pb.h")
      set(_plugin_args "--grpc_out=${_out}" "--plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>")
      set(_plugin_deps gRPC::grpc_cpp_plugin)
    endif()
    add_custom_command(
      OUTPUT ${_generated}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${_out}"
      COMMAND protobuf::protoc
              "-I${ARG_IMPORT_ROOT}" "-I${TODO_GOOGLEAPIS_DIR}" "-I${TODO_PROTOBUF_INCLUDE_DIR}"
              "--cpp_out=${_out}" ${_plugin_args} "${_abs}"
      DEPENDS "${_abs}" protobuf::protoc ${_plugin_deps}
      COMMENT "protoc ${_rel}"
      VERBATIM)
    list(APPEND _srcs ${_generated})
  endforeach()
  # The grpc++ stubs (*.grpc.pb.cc) go to a library of their own, NAME_grpc
  # (alias ALIAS_grpc), so the services, served and called by common/rpc,
  # link no grpc++; the tests and benchmarks that use grpc++ as a reference
  # peer link the stubs.
  set(_message_srcs ${_srcs})
  list(FILTER _message_srcs EXCLUDE REGEX "\\.grpc\\.pb\\.")
  set(_stub_srcs ${_srcs})
  list(FILTER _stub_srcs INCLUDE REGEX "\\.grpc\\.pb\\.")
  add_library(${ARG_NAME} STATIC ${_message_srcs})
  target_include_directories(${ARG_NAME} SYSTEM PUBLIC "${_out}")
  target_link_libraries(${ARG_NAME} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_ALIAS)
    add_library(${ARG_ALIAS} ALIAS ${ARG_NAME})
  endif()
  if(ARG_GRPC)
    add_library(${ARG_NAME}_grpc STATIC ${_stub_srcs})
    target_link_libraries(${ARG_NAME}_grpc PUBLIC ${ARG_NAME} gRPC::grpc++)
    if(ARG_ALIAS)
      add_library(${ARG_ALIAS}_grpc ALIAS ${ARG_NAME}_grpc)
    endif()
  endif()
endfunction()

# todo_embed_migrations(NAME name ALIAS ns::name DIR dir FUNCTION ns::Fn)
# Turns dir/*.sql into a library exposing
#   const std::vector<todo::common::pg::Migration>& Fn();
# so that the binary and its tests apply the very same bytes.
function(todo_embed_migrations)
  cmake_parse_arguments(ARG "" "NAME;ALIAS;DIR;NAMESPACE;FUNCTION" "" ${ARGN})
  file(GLOB _sql CONFIGURE_DEPENDS "${ARG_DIR}/*.sql")
  list(SORT _sql)
  set(_out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.cc")
  add_custom_command(
    OUTPUT "${_out}"
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${_out}" "-DNAMESPACE=${ARG_NAMESPACE}"
            "-DFUNCTION=${ARG_FUNCTION}" "-DFILES=${_sql}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    DEPENDS ${_sql} "${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake"
    COMMENT "embedding migrations of ${ARG_NAME}"
    VERBATIM)
  todo_cc_library(NAME ${ARG_NAME} ALIAS ${ARG_ALIAS} SRCS "${_out}" DEPS common::pg)
endfunction()

# todo_cc_fuzzer(SRC file.cc DEPS ...): with TODO_FUZZ and clang, a libFuzzer
# binary <name>_fuzzer from a file that defines LLVMFuzzerTestOneInput (the
# same file also builds as a bounded gtest through todo_cc_test).
function(todo_cc_fuzzer)
  cmake_parse_arguments(ARG "" "SRC" "DEPS" ${ARGN})
  if(NOT TODO_FUZZ)
    return()
  endif()
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TODO_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  get_filename_component(_name "${ARG_SRC}" NAME_WE)
  string(REGEX REPLACE "(_fuzz)?_test$" "" _name "${_name}")
  add_executable(${_name}_fuzzer ${ARG_SRC})
  _todo_apply_defaults(${_name}_fuzzer PRIVATE)
  target_compile_definitions(${_name}_fuzzer PRIVATE TODO_LIBFUZZER)
  target_compile_options(${_name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${_name}_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${_name}_fuzzer PRIVATE ${ARG_DEPS})
endfunction()
