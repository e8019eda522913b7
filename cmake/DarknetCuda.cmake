# CUDA variant: PYDARKNET_CUDA=AUTO|ON|OFF. ON fails loudly when something is missing; AUTO says
# why it stays off. Needs nvcc plus cuBLAS and cuRAND (the PyPI wheels nvidia-cublas/nvidia-curand
# carry headers and libraries: point PYDARKNET_NVIDIA_ROOT at their site-packages/nvidia/cu13).
# Sets PDN_CUDA, PDN_CUDA_OBJECTS, and appends to PDN_BUILD_DEFINES / PDN_LINK_LIBS / PDN_RPATH.

set(PDN_CUDA OFF)
set(PDN_CUDA_OBJECTS "")
set(PDN_CUDA_VERSION "")
set(PDN_CUDA_WHY "PYDARKNET_CUDA=OFF")

function(_pdn_cuda_missing why)
  if(PYDARKNET_CUDA STREQUAL "ON")
    message(FATAL_ERROR "pydarknet: PYDARKNET_CUDA=ON but ${why}")
  endif()
  set(PDN_CUDA_WHY "${why}" PARENT_SCOPE)
endfunction()

if(PYDARKNET_CUDNN)
  message(FATAL_ERROR "pydarknet: PYDARKNET_CUDNN is not supported: darknet 61c9d02e calls cuDNN 7 APIs "
                      "(cudnnGetConvolutionForwardAlgorithm...) that cuDNN 8 removed. Build without it.")
endif()

if(NOT PYDARKNET_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER)
    find_program(_nvcc nvcc PATHS /usr/local/cuda/bin ENV CUDA_HOME PATH_SUFFIXES bin)
    if(_nvcc)
      set(CMAKE_CUDA_COMPILER "${_nvcc}")
    endif()
  endif()
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    _pdn_cuda_missing("no CUDA compiler (nvcc) was found")
  else()
    # Look for cuBLAS/cuRAND: PYDARKNET_NVIDIA_ROOT, then the toolkit.
    get_filename_component(_cuda_bin "${CMAKE_CUDA_COMPILER}" DIRECTORY)
    get_filename_component(_cuda_root "${_cuda_bin}" DIRECTORY)
    set(_roots ${PYDARKNET_NVIDIA_ROOT} "${_cuda_root}" "${_cuda_root}/targets/x86_64-linux")
    find_path(PDN_CUBLAS_INCLUDE cublas_v2.h PATHS ${_roots} PATH_SUFFIXES include NO_DEFAULT_PATH)
    find_path(PDN_CURAND_INCLUDE curand.h PATHS ${_roots} PATH_SUFFIXES include NO_DEFAULT_PATH)
    set(_save_suffixes ${CMAKE_FIND_LIBRARY_SUFFIXES})
    set(CMAKE_FIND_LIBRARY_SUFFIXES .so .so.13 .so.12 .so.10)
    find_library(PDN_CUBLAS_LIBRARY cublas PATHS ${_roots} PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
    find_library(PDN_CURAND_LIBRARY curand PATHS ${_roots} PATH_SUFFIXES lib lib64 NO_DEFAULT_PATH)
    set(CMAKE_FIND_LIBRARY_SUFFIXES ${_save_suffixes})
    if(NOT PDN_CUBLAS_INCLUDE OR NOT PDN_CUBLAS_LIBRARY)
      _pdn_cuda_missing("cuBLAS was not found (pip install nvidia-cublas and set PYDARKNET_NVIDIA_ROOT)")
    elseif(NOT PDN_CURAND_INCLUDE OR NOT PDN_CURAND_LIBRARY)
      _pdn_cuda_missing("cuRAND was not found (pip install nvidia-curand and set PYDARKNET_NVIDIA_ROOT)")
    else()
      set(PDN_CUDA ON)
    endif()
  endif()
endif()

if(PDN_CUDA)
  set(CMAKE_CUDA_ARCHITECTURES "${PYDARKNET_CUDA_ARCHITECTURES}")
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(PDN_CUDA_VERSION "${CMAKE_CUDA_COMPILER_VERSION}")
  list(APPEND PDN_BUILD_DEFINES GPU)
  set(_cuda_includes "${CUDAToolkit_INCLUDE_DIRS}" "${PDN_CUBLAS_INCLUDE}" "${PDN_CURAND_INCLUDE}")
  target_include_directories(darknet_objects PUBLIC ${_cuda_includes})
  # CUDA 13 dropped cudaThreadSynchronize: supplied by our compat header, darknet stays untouched
  target_compile_options(darknet_objects PRIVATE "SHELL:-include ${PROJECT_SOURCE_DIR}/native/cuda_compat.h")

  add_library(darknet_cuda_objects OBJECT ${DARKNET_CU_SOURCES})
  target_include_directories(darknet_cuda_objects PRIVATE "${DARKNET_DIR}/include" "${DARKNET_DIR}/src"
                                                          ${_cuda_includes})
  target_compile_definitions(darknet_cuda_objects PRIVATE GPU)
  target_compile_options(darknet_cuda_objects PRIVATE
    "SHELL:-include ${PROJECT_SOURCE_DIR}/native/cuda_compat.h" -w -UNDEBUG)
  set_target_properties(darknet_cuda_objects PROPERTIES POSITION_INDEPENDENT_CODE ON
                        CUDA_VISIBILITY_PRESET hidden
                        CUDA_ARCHITECTURES "${PYDARKNET_CUDA_ARCHITECTURES}")
  set(PDN_CUDA_OBJECTS $<TARGET_OBJECTS:darknet_cuda_objects>)
  list(APPEND PDN_BLAS_INCLUDE ${_cuda_includes})
  # cudart statically (no runtime wheel needed); cuBLAS/cuRAND from the wheels beside us
  list(APPEND PDN_LINK_LIBS CUDA::cudart_static "${PDN_CUBLAS_LIBRARY}" "${PDN_CURAND_LIBRARY}")
  list(APPEND PDN_RPATH "$ORIGIN/../nvidia/cu13/lib")
  set(PDN_CUDA_WHY "built for ${PYDARKNET_CUDA_ARCHITECTURES}")
  message(STATUS "pydarknet: CUDA ON (nvcc ${PDN_CUDA_VERSION}, archs ${PYDARKNET_CUDA_ARCHITECTURES}, "
                 "cuBLAS ${PDN_CUBLAS_LIBRARY}, cuRAND ${PDN_CURAND_LIBRARY})")
else()
  message(STATUS "pydarknet: CUDA OFF (${PDN_CUDA_WHY})")
endif()
