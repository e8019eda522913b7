/* Force-included into darknet's CUDA sources (nvcc -include / gcc -include).
 * CUDA 13 removed cudaThreadSynchronize(); darknet 61c9d02e still calls it. Its documented
 * replacement is cudaDeviceSynchronize(), with the same semantics for our use. */
#ifndef PDN_CUDA_COMPAT_H
#define PDN_CUDA_COMPAT_H
#include <cuda_runtime.h>
#if defined(CUDART_VERSION) && CUDART_VERSION >= 13000
#define cudaThreadSynchronize cudaDeviceSynchronize
#endif
#endif
