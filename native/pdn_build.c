/* What this build really contains, answered at run time. */
#include <stdio.h>
#include "pdn_native.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef PDN_BLAS_NAME
#define PDN_BLAS_NAME "none"
#endif

#ifdef PDN_BLAS_CONFIG_FN
char *PDN_BLAS_CONFIG_FN(void);
#endif
#ifdef PDN_BLAS_THREADS_FN
void PDN_BLAS_THREADS_FN(int);
#endif

const char *pdn_blas_name(void) { return PDN_BLAS_NAME; }

const char *pdn_blas_config(void)
{
#ifdef PDN_BLAS_CONFIG_FN
    return PDN_BLAS_CONFIG_FN();
#else
    return "";
#endif
}

void pdn_blas_set_threads(int n)
{
#ifdef PDN_BLAS_THREADS_FN
    PDN_BLAS_THREADS_FN(n);
#else
    (void)n;
#endif
}

int pdn_openmp_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 0;
#endif
}

/* omp_set_num_threads() only affects the calling thread, and networks run on whichever Python
 * thread calls them: remember the wish and apply it at the start of every guarded call. */
static int pdn_wanted_threads = 0;

void pdn_openmp_set_threads(int n)
{
    pdn_wanted_threads = n > 0 ? n : 0;
#ifdef _OPENMP
    if (n > 0) omp_set_num_threads(n);
#endif
}

void pdn_apply_threads(void)
{
#ifdef _OPENMP
    if (pdn_wanted_threads > 0 && omp_get_max_threads() != pdn_wanted_threads)
        omp_set_num_threads(pdn_wanted_threads);
#endif
}

int pdn_cuda_compiled(void)
{
#ifdef GPU
    return 1;
#else
    return 0;
#endif
}

int pdn_cudnn_compiled(void)
{
#ifdef CUDNN
    return 1;
#else
    return 0;
#endif
}

int pdn_cuda_device_count(void)
{
#ifdef GPU
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        cudaGetLastError(); /* clear the sticky error so darknet's later checks do not trip on it */
        return 0;
    }
    return n;
#else
    return 0;
#endif
}

const char *pdn_cuda_device_name(int i)
{
    static char name[256];
    name[0] = 0;
#ifdef GPU
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, i) == cudaSuccess) snprintf(name, sizeof name, "%s", prop.name);
    else cudaGetLastError();
#else
    (void)i;
#endif
    return name;
}
