// Warp-level tensor-core building blocks shared by the bf16 attention kernels (sm_80+ instructions, run on sm_90):
//   mma_bf16_16816   D[16x8] += A[16x16] B[16x8], bf16 operands, fp32 accumulators (mma.sync.m16n8k16.row.col)
//   ldmatrix_x4      four 8x8 b16 matrices from shared memory, optionally transposed (ldmatrix.sync.aligned.x4)
//   cp_async_16      16-byte global->shared copy, zero-filled when the source row is out of range (cp.async.cg)
// Fragment layouts (PTX ISA, mma.m16n8k16 .bf16), g = lane / 4, c = lane % 4:
//   A: a0 (row g, cols 2c..2c+1), a1 (row g+8, same cols), a2 (row g, cols 2c+8..), a3 (row g+8, cols 2c+8..)
//   B: b0 (k rows 2c..2c+1, col g), b1 (k rows 2c+8.., col g)
//   C: c0,c1 (row g, cols 2c, 2c+1), c2,c3 (row g+8, cols 2c, 2c+1)
// Shared tiles are row-major bf16 with a row pitch of (cols + 8) elements, so the eight row addresses of one
// ldmatrix phase fall in distinct banks.
#pragma once
#include <cstdint>

#include <cuda_bf16.h>

namespace menagerie::opt::attention_mma {

__device__ __forceinline__ std::uint32_t smem_addr(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const std::uint32_t (&a)[4], std::uint32_t b0,
                                               std::uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(std::uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

// Copies 16 bytes when `valid`, else writes 16 zero bytes (src-size 0 reads nothing).
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, bool valid) {
  const int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ std::uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const std::uint32_t*>(&v);
}

// Loads a [ROWS, COLS] bf16 tile whose rows are `stride` elements apart in global memory into shared memory with
// pitch COLS + 8; rows at or beyond `valid_rows` are zero-filled. COLS is a multiple of 8; all threads take part.
template <int ROWS, int COLS, int THREADS>
__device__ __forceinline__ void load_tile_async(__nv_bfloat16* smem, const __nv_bfloat16* gmem, std::int64_t stride,
                                                int valid_rows) {
  constexpr int kChunks = COLS / 8;
  for (int i = threadIdx.x; i < ROWS * kChunks; i += THREADS) {
    const int r = i / kChunks, c = (i % kChunks) * 8;
    const bool ok = r < valid_rows;
    cp_async_16(smem + r * (COLS + 8) + c, ok ? gmem + r * stride + c : gmem, ok);
  }
}

}  // namespace menagerie::opt::attention_mma
