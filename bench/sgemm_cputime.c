/* OpenBLAS SGEMM (1 thread, C = A B^T as vsq bench) in GFLOPS per second of
 * thread CPU time, the baseline of bench/gemm8_cputime.c:
 *   gcc -O2 bench/sgemm_cputime.c -o /tmp/sgemm_cputime -lopenblas && /tmp/sgemm_cputime M N K */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void openblas_set_num_threads(int);
static double cpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(int c,char**v){int m=atoi(v[1]),n=atoi(v[2]),k=atoi(v[3]);openblas_set_num_threads(1);
float*a=malloc(4L*m*k),*w=malloc(4L*n*k),*y=malloc(4L*m*n);for(long i=0;i<(long)m*k;i++)a[i]=i%7;for(long i=0;i<(long)n*k;i++)w[i]=i%5;
double b=0;for(int r=0;r<4;r++){double t=cpu();cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,m,n,k,1,a,k,w,k,0,y,n);t=cpu()-t;double g=2.0*m*n*k/t/1e9;if(g>b)b=g;}
printf("sgemm %dx%dx%d %.1f GFLOPS/cpu-s\n",m,n,k,b);}
