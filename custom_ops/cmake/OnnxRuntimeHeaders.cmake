# Finds the onnxruntime C/C++ API headers (onnxruntime's pip wheel ships none) and sets
# ORT_INCLUDE_DIR. Order: an explicit -DORT_INCLUDE_DIR (or environment variable), a system
# install, then a pinned npm registry package that carries the official headers, checked against
# its SHA-256 and cached outside the source tree. Nothing third-party is ever committed.

set(ORT_HEADERS_PACKAGE_URL
    "https://registry.npmjs.org/com.github.asus4.onnxruntime/-/com.github.asus4.onnxruntime-0.4.9.tgz"
    CACHE STRING "Pinned npm package carrying the onnxruntime headers (a mirror may be given)")
set(ORT_HEADERS_PACKAGE_SHA256 "e59788788818fdde1b2e522e766a21ba0f7d8391de55737abf81e32cc801785d")
set(ORT_HEADERS_PACKAGE_DIR
    "package/Plugins/iOS~/onnxruntime.xcframework/ios-arm64_x86_64-simulator/onnxruntime.framework/Headers")

function(_ort_headers_usable dir out)
  if(dir AND EXISTS "${dir}/onnxruntime_cxx_api.h" AND EXISTS "${dir}/onnxruntime_c_api.h")
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

if(NOT ORT_INCLUDE_DIR AND DEFINED ENV{ORT_INCLUDE_DIR})
  set(ORT_INCLUDE_DIR "$ENV{ORT_INCLUDE_DIR}")
endif()

if(ORT_INCLUDE_DIR)
  _ort_headers_usable("${ORT_INCLUDE_DIR}" _usable)
  if(NOT _usable)
    message(FATAL_ERROR "ORT_INCLUDE_DIR=${ORT_INCLUDE_DIR} does not contain onnxruntime_c_api.h and "
                        "onnxruntime_cxx_api.h: point it at onnxruntime's include directory, or unset it to "
                        "let the build find or fetch the headers.")
  endif()
else()
  foreach(candidate /usr/include/onnxruntime /usr/local/include/onnxruntime
                    /usr/include/onnxruntime/core/session /usr/local/include/onnxruntime/core/session)
    _ort_headers_usable("${candidate}" _usable)
    if(_usable)
      set(ORT_INCLUDE_DIR "${candidate}")
      break()
    endif()
  endforeach()
endif()

if(NOT ORT_INCLUDE_DIR)
  if(DEFINED ENV{XDG_CACHE_HOME})
    set(_cache_root "$ENV{XDG_CACHE_HOME}")
  else()
    set(_cache_root "$ENV{HOME}/.cache")
  endif()
  set(_cache "${_cache_root}/analog-deploy/onnxruntime-headers-${ORT_HEADERS_PACKAGE_SHA256}")
  _ort_headers_usable("${_cache}" _usable)
  if(NOT _usable)
    message(STATUS "Fetching the onnxruntime headers from ${ORT_HEADERS_PACKAGE_URL}")
    set(_archive "${_cache}.tgz")
    file(DOWNLOAD "${ORT_HEADERS_PACKAGE_URL}" "${_archive}"
         EXPECTED_HASH SHA256=${ORT_HEADERS_PACKAGE_SHA256} STATUS _status TLS_VERIFY ON)
    list(GET _status 0 _code)
    if(NOT _code EQUAL 0)
      file(REMOVE "${_archive}")
      list(GET _status 1 _reason)
      message(FATAL_ERROR
        "No onnxruntime C/C++ headers: none given (-DORT_INCLUDE_DIR=... or the ORT_INCLUDE_DIR environment "
        "variable), none installed (/usr/include/onnxruntime, e.g. Debian's libonnxruntime-dev), and fetching "
        "${ORT_HEADERS_PACKAGE_URL} failed (${_reason}). Provide one of the three.")
    endif()
    # Extract next to the cache, then rename: an interrupted build never leaves a half cache.
    set(_staging "${_cache}.staging")
    file(REMOVE_RECURSE "${_staging}")
    file(MAKE_DIRECTORY "${_staging}")
    execute_process(COMMAND ${CMAKE_COMMAND} -E tar xzf "${_archive}" "${ORT_HEADERS_PACKAGE_DIR}"
                    WORKING_DIRECTORY "${_staging}" RESULT_VARIABLE _tar)
    file(REMOVE "${_archive}")
    if(NOT _tar EQUAL 0)
      file(REMOVE_RECURSE "${_staging}")
      message(FATAL_ERROR "Could not extract the onnxruntime headers from ${ORT_HEADERS_PACKAGE_URL}")
    endif()
    file(REMOVE_RECURSE "${_cache}")
    file(RENAME "${_staging}/${ORT_HEADERS_PACKAGE_DIR}" "${_cache}")
    file(REMOVE_RECURSE "${_staging}")
  endif()
  set(ORT_INCLUDE_DIR "${_cache}")
endif()

message(STATUS "onnxruntime headers: ${ORT_INCLUDE_DIR}")
