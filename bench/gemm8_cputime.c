/* CPU-time microbenchmark of the packed GEMM on a loaded machine (used for
 * docs/results/gemm8.md): GOPS per second of *thread CPU time* for
 * vsq_gemm_packed (1 thread) and for a 12-chain vpdpbusd register loop,
 * interleaved, best of R runs each, so time slices lost to other jobs do
 * not count. Not part of the CMake build; AVX-512 VNNI CPUs only:
 *   gcc -O2 -mavx512f -mavx512vnni -fopenmp -Iinclude bench/gemm8_cputime.c build/libvsq.a \
 *       -o /tmp/gemm8_cputime $(pkg-config --libs libcjson libutf8proc libprotobuf-c zlib) -ljpeg -lm
 *   /tmp/gemm8_cputime WFMT AFMT M N K [R] */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vsq/vsq.h"
static double cpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static double peak(long it){
  __m512i a0=_mm512_set1_epi32(0),a1=_mm512_set1_epi32(1),a2=_mm512_set1_epi32(2),a3=_mm512_set1_epi32(3),a4=_mm512_set1_epi32(4),a5=_mm512_set1_epi32(5),
  a6=_mm512_set1_epi32(6),a7=_mm512_set1_epi32(7),a8=_mm512_set1_epi32(8),a9=_mm512_set1_epi32(9),a10=_mm512_set1_epi32(10),a11=_mm512_set1_epi32(11);
  __m512i x=_mm512_set1_epi8(3),b=_mm512_set1_epi8(-2);
  for(long i=0;i<it;i++){
#define D(A) A=_mm512_dpbusd_epi32(A,x,b);
  D(a0)D(a1)D(a2)D(a3)D(a4)D(a5)D(a6)D(a7)D(a8)D(a9)D(a10)D(a11)
  __asm__ volatile("":"+v"(x),"+v"(b));}
  __m512i s=_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0,a1),_mm512_add_epi32(a2,a3)),_mm512_add_epi32(_mm512_add_epi32(a4,a5),_mm512_add_epi32(a6,a7)));
  s=_mm512_add_epi32(s,_mm512_add_epi32(_mm512_add_epi32(a8,a9),_mm512_add_epi32(a10,a11)));
  int r=_mm_cvtsi128_si32(_mm512_castsi512_si128(s)); __asm__ volatile(""::"r"(r));
  return (double)it*12*128;
}
int main(int argc,char**argv){
  const char*ws=argv[1],*as=argv[2]; size_t m=atol(argv[3]),n=atol(argv[4]),k=atol(argv[5]); int reps=argc>6?atoi(argv[6]):3;
  vsq_format fw,fa; vsq_format_parse(ws,&fw); vsq_format_parse(as,&fa);
  float*xw=malloc(n*k*4),*xa=malloc(m*k*4),*y=malloc(m*n*4);
  srand(1); for(size_t i=0;i<n*k;i++) xw[i]=(rand()/(float)RAND_MAX-0.5f); for(size_t i=0;i<m*k;i++) xa[i]=(rand()/(float)RAND_MAX-0.5f);
  vsq_packed_w pw; vsq_packed_a pa; memset(&pa,0,sizeof pa);
  if(vsq_quantize_pack_weights(&fw,xw,n,k,&pw)||vsq_quantize_act(&fa,xa,m,k,&pa)){printf("fail\n");return 1;}
  double bp=0, bk=0; vsq_gemm_packed(&pa,&pw,y,NULL,1);
  for(int r=0;r<reps;r++){double t=cpu(); double o=peak(5000000); t=cpu()-t; if(o/t>bp) bp=o/t;
   t=cpu(); vsq_gemm_packed(&pa,&pw,y,NULL,1); t=cpu()-t; double g=2.0*m*n*k/t; if(g>bk) bk=g;}
  printf("%-14s %-14s %5zux%5zux%5zu  peak %.0f GOPS/cpu-s  gemm %.1f  = %.1f %%\n",ws,as,m,n,k,bp/1e9,bk/1e9,100*bk/bp);
  return 0;
}
