#ifndef CBLASLAPACK_SHIM_H
#define CBLASLAPACK_SHIM_H
/* Header-only bridge to the system BLAS and LAPACK. No stable Swift API:
   use the LinearAlgebra module instead.

   <cblas.h> is Debian's alternatives symlink (netlib or OpenBLAS header);
   only netlib CBLAS names are used so either library works at run time.
   LAPACK has no C header in liblapack-dev, so the Fortran entry points are
   declared here: every argument by pointer, plus one trailing hidden length
   (size_t) per CHARACTER argument, as gfortran passes them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#endif
#include <stddef.h>
#include <dlfcn.h>
#include <cblas.h>

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs,
             const double *a, const int *lda, double *b, const int *ldb,
             int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda,
             int *info, size_t uplo_len);
void dpstrf_(const char *uplo, const int *n, double *a, const int *lda,
             int *piv, int *rank, const double *tol, double *work, int *info,
             size_t uplo_len);
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda,
            int *ipiv, double *b, const int *ldb, int *info);
void dgecon_(const char *norm, const int *n, const double *a, const int *lda,
             const double *anorm, double *rcond, double *work, int *iwork,
             int *info, size_t norm_len);
double dlange_(const char *norm, const int *m, const int *n, const double *a,
               const int *lda, double *work, size_t norm_len);

/* The file name of the shared object that provides `symbol` to this process
   (as the dynamic loader opened it), or NULL. Reports which BLAS and LAPACK
   Debian's alternatives selected at run time. */
static inline const char *churnkit_shared_object_defining(const char *symbol) {
  void *address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  if (address == NULL || dladdr(address, &info) == 0) return NULL;
  return info.dli_fname;
}

#endif
