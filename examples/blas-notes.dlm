---
# Notes on dense linear algebra kernels, used to tune a small assistant.
dlm_id: 01KPQ9X1000000000000000001
dlm_version: 15
base_model: smollm2-135m
training:
  lora_r: 16
  num_epochs: 3
---

# Dense matrix multiply (GEMM)

DGEMM computes C := alpha * A * B + beta * C for double-precision matrices.
Reference BLAS implements it as a triple loop; tuned libraries such as OpenBLAS
and BLIS split the matrices into panels that fit the L2 and L3 caches and call a
hand-written micro-kernel on register-sized blocks.

The micro-kernel dominates run time. On a core with two FMA units of four doubles,
peak throughput is 16 double-precision flops per cycle, and a well-tuned DGEMM
reaches 85-95% of that for large square matrices.

::prose::

# Choosing leading dimensions

The leading dimension (LDA) is the stride between columns in column-major storage.
Padding LDA so that it is not a multiple of a large power of two avoids cache-set
conflicts: for example, use 1032 instead of 1024 for a 1024x1024 matrix.

```c
double *a = aligned_alloc(64, (size_t)lda * n * sizeof(double));
```

::instruction::
### Q
What does DGEMM compute?
### A
C := alpha * A * B + beta * C on double-precision matrices.
