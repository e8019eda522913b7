# Decides where darknet's source comes from: the one build switch for it, logged.
#
#   1. DARKNET_SOURCE_DIR (CMake variable or environment variable): any darknet tree you point at.
#   2. the `darknet/` git submodule, when it is checked out.
#   3. third_party/darknet-debian: Debian's source package of the same commit, fetched by
#      scripts/fetch-darknet-source.sh (run automatically when 1 and 2 are absent, unless
#      PYDARKNET_FETCH_SOURCE is OFF).
#
# Sets DARKNET_DIR, DARKNET_ORIGIN (override|submodule|debian-source) and DARKNET_COMMIT.

set(PYDARKNET_PINNED_COMMIT "61c9d02ec461e30d55762ec7669d6a1d3c356fb2")
option(PYDARKNET_FETCH_SOURCE "Run scripts/fetch-darknet-source.sh when no darknet source is found" ON)

function(_darknet_tree_ok dir out)
  if(EXISTS "${dir}/src/network.c" AND EXISTS "${dir}/include/darknet.h")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

if(NOT DARKNET_SOURCE_DIR AND DEFINED ENV{DARKNET_SOURCE_DIR})
  set(DARKNET_SOURCE_DIR "$ENV{DARKNET_SOURCE_DIR}")
endif()

set(_submodule "${PROJECT_SOURCE_DIR}/darknet")
set(_debian "${PROJECT_SOURCE_DIR}/third_party/darknet-debian")
_darknet_tree_ok("${_submodule}" _submodule_ok)
_darknet_tree_ok("${_debian}" _debian_ok)

if(DARKNET_SOURCE_DIR)
  get_filename_component(DARKNET_DIR "${DARKNET_SOURCE_DIR}" ABSOLUTE)
  _darknet_tree_ok("${DARKNET_DIR}" _ok)
  if(NOT _ok)
    message(FATAL_ERROR "pydarknet: DARKNET_SOURCE_DIR=${DARKNET_DIR} is not a darknet source tree "
                        "(no src/network.c or include/darknet.h)")
  endif()
  set(DARKNET_ORIGIN "override")
elseif(_submodule_ok)
  set(DARKNET_DIR "${_submodule}")
  set(DARKNET_ORIGIN "submodule")
else()
  if(NOT _debian_ok AND PYDARKNET_FETCH_SOURCE)
    message(STATUS "pydarknet: darknet/ submodule is empty; fetching Debian's source package")
    execute_process(COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/fetch-darknet-source.sh" "${_debian}"
                    RESULT_VARIABLE _fetch_rc)
    if(NOT _fetch_rc EQUAL 0)
      message(FATAL_ERROR "pydarknet: scripts/fetch-darknet-source.sh failed (${_fetch_rc})")
    endif()
    _darknet_tree_ok("${_debian}" _debian_ok)
  endif()
  if(NOT _debian_ok)
    message(FATAL_ERROR
      "pydarknet: no darknet source. Use one of: `git submodule update --init darknet`, "
      "`scripts/fetch-darknet-source.sh`, or -DDARKNET_SOURCE_DIR=/path/to/darknet.")
  endif()
  set(DARKNET_DIR "${_debian}")
  set(DARKNET_ORIGIN "debian-source")
endif()

# Which commit is it?
set(DARKNET_COMMIT "unknown")
if(EXISTS "${DARKNET_DIR}/.git")
  execute_process(COMMAND git -C "${DARKNET_DIR}" rev-parse HEAD
                  OUTPUT_VARIABLE _sha OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0)
    set(DARKNET_COMMIT "${_sha}")
  endif()
elseif(EXISTS "${DARKNET_DIR}/debian/changelog")
  file(STRINGS "${DARKNET_DIR}/debian/changelog" _first LIMIT_COUNT 1)
  string(REGEX MATCH "\\(([^)]+)\\)" _m "${_first}")
  set(_version "${CMAKE_MATCH_1}")
  string(REGEX MATCH "git[0-9]+\\.([0-9a-f]+)" _m "${_version}")
  set(_short "${CMAKE_MATCH_1}")
  if(_short AND PYDARKNET_PINNED_COMMIT MATCHES "^${_short}")
    set(DARKNET_COMMIT "${PYDARKNET_PINNED_COMMIT}")
  elseif(_short)
    set(DARKNET_COMMIT "${_short}")
  endif()
  set(DARKNET_DEBIAN_VERSION "${_version}")
endif()

message(STATUS "pydarknet: darknet source origin=${DARKNET_ORIGIN} dir=${DARKNET_DIR} commit=${DARKNET_COMMIT}")
if(NOT DARKNET_COMMIT STREQUAL PYDARKNET_PINNED_COMMIT)
  message(WARNING "pydarknet: darknet commit ${DARKNET_COMMIT} is not the pinned ${PYDARKNET_PINNED_COMMIT}")
endif()
