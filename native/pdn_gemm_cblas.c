/* darknet's gemm()/gemm_cpu() on top of cblas_sgemm.
 *
 * darknet's own gemm.c is compiled with its gemm/gemm_cpu renamed (see CMakeLists.txt), so every
 * caller in darknet lands here. Same contract as darknet's: row-major, C = ALPHA*op(A)*op(B) + BETA*C.
 * PDN_CBLAS_SGEMM is the (possibly prefixed) symbol of the chosen BLAS, set by CMake.
 */
#include <cblas.h>

#ifndef PDN_CBLAS_SGEMM
#define PDN_CBLAS_SGEMM cblas_sgemm
#endif

void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA,
              float *A, int lda, float *B, int ldb, float BETA, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    PDN_CBLAS_SGEMM(CblasRowMajor, TA ? CblasTrans : CblasNoTrans, TB ? CblasTrans : CblasNoTrans,
                    M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

void gemm(int TA, int TB, int M, int N, int K, float ALPHA,
          float *A, int lda, float *B, int ldb, float BETA, float *C, int ldc)
{
    gemm_cpu(TA, TB, M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}
