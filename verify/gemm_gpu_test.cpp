// optimized/common/gemm.hpp: the row-major GEMM in all four transpose combinations and the row and column sums, on
// odd sizes, against a product in double written here from the definition C[i, j] = sum_p op(A)[i, p] op(B)[p, j]
// (op(X) = X, or X^T read from X's row-major storage); beta = 1 accumulates onto C; the handle cache returns one handle
// per stream; a strided C (ldc > N) is written in its first N columns only. A stream's GEMM precision (tf32, bf16)
// shows in the error against the double product: operands rounded to TF32 (unit roundoff 2^-11) or bf16 (2^-8) give
// a normalised error of that order on random normal data (each product errs by up to two units, and the K terms'
// errors add up like the terms themselves), far above fp32's (2^-24 per operation); the bounds below are 2^2 on
// either side of the unit roundoff (tf32: 0.6 units on the H100; fp32: below 2^-17, its accumulation over K 256 stays
// near 2^-20), and the precision stays with its stream until set again. Bounds of 2^5 let a "bf16" mode that ran TF32
// kernels pass in session 24 (2.95e-4, 0.08 bf16 units: cuBLAS's FAST_16BF on fp32 operands); bf16 now converts
// the operands itself. gemm_work() grows by 2 M N K per product (the definition's multiply-adds), in the arithmetic
// the product ran in, for fp32, tf32, bf16 and fp64 GEMMs on odd sizes. A captured CUDA graph's bf16 product stays
// right after the stream's operand scratch has grown.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/random.hpp"
#include "optimized/common/device.hpp"
#include "optimized/common/check.hpp"
#include "optimized/common/device_buffer.hpp"
#include "optimized/common/gemm.hpp"
#include "optimized/common/stream.hpp"
#include "verify/support/env.hpp"

namespace menagerie {
namespace {

using cuda::DeviceBuffer;
using cuda::Op;

std::vector<float> normal(std::int64_t n, std::uint64_t stream) {
  Tensor<float> t({n});
  fill_normal(t.view(), test::test_seed(), stream, 0.f, 1.f);
  return {t.data(), t.data() + n};
}

// op(X)[i, p] of a row-major X stored with `cols` columns.
double at(const std::vector<float>& x, std::int64_t cols, Op op, std::int64_t i, std::int64_t p) {
  return op == Op::N ? x[static_cast<std::size_t>(i * cols + p)] : x[static_cast<std::size_t>(p * cols + i)];
}

TEST(Gemm, RowMajorAllTransposesAgainstTheDefinition) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  const std::int64_t M = 37, N = 19, K = 23;
  for (Op oa : {Op::N, Op::T})
    for (Op ob : {Op::N, Op::T}) {
      const std::int64_t lda = oa == Op::N ? K : M, ldb = ob == Op::N ? N : K;
      const auto a = normal(M * K, 1), b = normal(K * N, 2), c0 = normal(M * N, 3);
      DeviceBuffer<float> da(a), db(b), dc(c0);
      cuda::gemm_rm(s.get(), oa, ob, M, N, K, 0.5f, da.data(), lda, db.data(), ldb, 1.f, dc.data());
      const auto c = dc.download(s.get());
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
          double ref = c0[static_cast<std::size_t>(i * N + j)];
          for (std::int64_t p = 0; p < K; ++p) ref += 0.5 * at(a, lda, oa, i, p) * at(b, ldb, ob, p, j);
          ASSERT_NEAR(c[static_cast<std::size_t>(i * N + j)], ref, 1e-5 * (1 + std::fabs(ref)))
              << "op_a " << (oa == Op::N ? "N" : "T") << " op_b " << (ob == Op::N ? "N" : "T") << " at " << i << ", "
              << j << " (seed " << test::test_seed() << ")";
        }
    }
}

// C written with a row stride ldc > N (a token's rows inside [B, T, d]): the product lands in the first N columns of
// each row and the columns between stay as they were (NaN here).
TEST(Gemm, StridedOutputRows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  const std::int64_t M = 5, N = 7, K = 3, ldc = 20;
  const auto a = normal(M * K, 5), b = normal(N * K, 6);
  DeviceBuffer<float> da(a), db(b), dc(M * ldc);
  dc.fill_nan(s.get());
  cuda::gemm_rm(s.get(), Op::N, Op::T, M, N, K, 1.f, da.data(), K, db.data(), K, 0.f, dc.data(), ldc);
  const auto c = dc.download(s.get());
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < ldc; ++j) {
      const float got = c[static_cast<std::size_t>(i * ldc + j)];
      if (j >= N) {
        EXPECT_TRUE(std::isnan(got)) << "row " << i << " column " << j << " beyond N was written";
        continue;
      }
      double ref = 0;
      for (std::int64_t p = 0; p < K; ++p) ref += at(a, K, Op::N, i, p) * at(b, K, Op::T, p, j);
      EXPECT_NEAR(got, ref, 1e-5 * (1 + std::fabs(ref))) << "at " << i << ", " << j << " (seed " << test::test_seed()
                                                         << ")";
    }
}

TEST(Gemm, RowAndColumnSums) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  const std::int64_t rows = 101, cols = 13;
  const auto a = normal(rows * cols, 4);
  DeviceBuffer<float> da(a), ones(std::vector<float>(rows, 1.f)), dcol(cols), drow(rows);
  dcol.fill_nan(s.get());
  drow.fill_nan(s.get());
  cuda::column_sums(s.get(), rows, cols, da.data(), ones.data(), dcol.data());
  cuda::row_sums(s.get(), rows, cols, da.data(), ones.data(), drow.data());
  const auto col = dcol.download(s.get()), row = drow.download(s.get());
  for (std::int64_t j = 0; j < cols; ++j) {
    double ref = 0;
    for (std::int64_t i = 0; i < rows; ++i) ref += a[static_cast<std::size_t>(i * cols + j)];
    EXPECT_NEAR(col[static_cast<std::size_t>(j)], ref, 1e-5 * (1 + std::fabs(ref))) << "column " << j;
  }
  for (std::int64_t i = 0; i < rows; ++i) {
    double ref = 0;
    for (std::int64_t j = 0; j < cols; ++j) ref += a[static_cast<std::size_t>(i * cols + j)];
    EXPECT_NEAR(row[static_cast<std::size_t>(i)], ref, 1e-5 * (1 + std::fabs(ref))) << "row " << i;
  }
}

TEST(Gemm, TensorCorePrecisionsRoundTheOperands) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s, other;
  const std::int64_t M = 256, N = 128, K = 256;
  const auto a = normal(M * K, 7), b = normal(N * K, 8);
  std::vector<double> ref(static_cast<std::size_t>(M * N));
  double ref_norm = 0;
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      double r = 0;
      for (std::int64_t p = 0; p < K; ++p) r += at(a, K, Op::N, i, p) * at(b, K, Op::T, p, j);
      ref[static_cast<std::size_t>(i * N + j)] = r;
      ref_norm += r * r;
    }
  DeviceBuffer<float> da(a), db(b), dc(M * N);
  const auto relerr = [&](cudaStream_t st) {
    dc.fill_nan(st);
    cuda::gemm_rm(st, Op::N, Op::T, M, N, K, 1.f, da.data(), K, db.data(), K, 0.f, dc.data());
    const auto c = dc.download(st);
    double e = 0;
    for (std::size_t i = 0; i < c.size(); ++i) e += (c[i] - ref[i]) * (c[i] - ref[i]);
    return std::sqrt(e / ref_norm);
  };
  struct Expect {
    cuda::GemmPrecision precision;
    const char* name;
    double unit;  // the operands' unit roundoff
  };
  for (const auto& x : {Expect{cuda::GemmPrecision::tf32, "tf32", 0x1p-11}, Expect{cuda::GemmPrecision::bf16, "bf16",
                                                                                  0x1p-8}}) {
    cuda::set_gemm_precision(s.get(), x.precision);
    const double e = relerr(s.get()), e_other = relerr(other.get());
    std::printf("[ gemm %s ] relerr %.3e (unit roundoff %.3e); another stream, fp32: %.3e\n", x.name, e, x.unit,
                e_other);
    EXPECT_EQ(cuda::gemm_precision(s.get()), x.precision);
    EXPECT_GT(e, x.unit / 4) << x.name << ": no sign of the operands' rounding (seed " << test::test_seed() << ")";
    EXPECT_LT(e, x.unit * 4) << x.name << " (seed " << test::test_seed() << ")";
    EXPECT_LT(e_other, 0x1p-17) << "the precision of one stream reached another";
  }
  cuda::set_gemm_precision(s.get(), cuda::GemmPrecision::fp32);
  EXPECT_LT(relerr(s.get()), 0x1p-17) << "fp32 again after bf16";
}

// bf16 rounds each operand itself, to nearest even: the product then equals, up to fp32 accumulation, the product in
// double of the operands rounded here from their bits (x + 0x7FFF + the kept lowest bit, low 16 bits cleared; the
// products of two 8-bit significands are exact). Checked in all four transpose combinations, with row strides wider
// than the stored columns (lda, ldb > the operand's columns, the gaps NaN: a read from them shows), alpha 0.5 and
// beta 1. Truncation instead of rounding, or a wrong stride, errs by bf16 units (2^-8), 400 times the bound.
float bf16_rne(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  std::memcpy(&x, &u, 4);
  return x;
}

TEST(Gemm, Bf16RoundsEachOperandToNearestEven) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  cuda::set_gemm_precision(s.get(), cuda::GemmPrecision::bf16);
  const std::int64_t M = 37, N = 19, K = 23, pad = 5;
  for (Op oa : {Op::N, Op::T})
    for (Op ob : {Op::N, Op::T}) {
      const std::int64_t a_rows = oa == Op::N ? M : K, b_rows = ob == Op::N ? K : N;
      const std::int64_t lda = (oa == Op::N ? K : M) + pad, ldb = (ob == Op::N ? N : K) + pad;
      auto a = normal(a_rows * lda, 11), b = normal(b_rows * ldb, 12);
      for (std::int64_t r = 0; r < a_rows; ++r)
        for (std::int64_t c = lda - pad; c < lda; ++c) a[static_cast<std::size_t>(r * lda + c)] = NAN;
      for (std::int64_t r = 0; r < b_rows; ++r)
        for (std::int64_t c = ldb - pad; c < ldb; ++c) b[static_cast<std::size_t>(r * ldb + c)] = NAN;
      const auto c0 = normal(M * N, 13);
      DeviceBuffer<float> da(a), db(b), dc(c0);
      cuda::gemm_rm(s.get(), oa, ob, M, N, K, 0.5f, da.data(), lda, db.data(), ldb, 1.f, dc.data());
      const auto c = dc.download(s.get());
      std::vector<float> ra(a.size()), rb(b.size());
      for (std::size_t i = 0; i < a.size(); ++i) ra[i] = bf16_rne(a[i]);
      for (std::size_t i = 0; i < b.size(); ++i) rb[i] = bf16_rne(b[i]);
      double worst = 0;
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
          double ref = c0[static_cast<std::size_t>(i * N + j)], mag = std::fabs(ref);
          for (std::int64_t p = 0; p < K; ++p) {
            const double t = 0.5 * at(ra, lda, oa, i, p) * at(rb, ldb, ob, p, j);
            ref += t;
            mag += std::fabs(t);
          }
          const double got = c[static_cast<std::size_t>(i * N + j)];
          worst = std::max(worst, std::fabs(got - ref) / mag);
          ASSERT_LE(std::fabs(got - ref), 1e-5 * mag)
              << "op_a " << (oa == Op::N ? "N" : "T") << " op_b " << (ob == Op::N ? "N" : "T") << " at " << i << ", "
              << j << ": got " << got << ", bf16 operands in double " << ref << " (seed " << test::test_seed() << ")";
        }
      std::printf("[ bf16 op_a %s op_b %s ] worst |got - ref| / sum |terms| %.3e\n", oa == Op::N ? "N" : "T",
                  ob == Op::N ? "N" : "T", worst);
    }
}

// A CUDA graph keeps the operand scratch it was captured with (gemm.cpp's bf16_scratch). A bf16 product of 24 x 24
// operands is captured, then a plain 512 x 512 product grows the stream's scratch, then 8 buffers the size of the old
// scratch (1216 elements) are allocated and filled with a sentinel, then the graph is replayed into a NaN-filled C: it
// must write the product of the operands rounded to bf16 (as in Bf16RoundsEachOperandToNearestEven), leave every
// sentinel as it was, and raise no CUDA error. Had the outgrown scratch been freed (session 26 found main did), the
// allocator would likely hand its memory to one of the 8 buffers and the replay would pack its operands over the
// sentinel there (the replay's own product could still come out right); compute-sanitizer memcheck reports the rest.
TEST(Gemm, Bf16GraphsKeepTheirScratchWhenItGrows) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  cuda::set_gemm_precision(s.get(), cuda::GemmPrecision::bf16);
  const std::int64_t n = 24, big = 512;
  const auto a = normal(n * n, 21), b = normal(n * n, 22), l = normal(big * big, 23);
  DeviceBuffer<float> da(a), db(b), dc(n * n), dl(l), dlc(big * big);
  const auto product = [&] {
    cuda::gemm_rm(s.get(), Op::N, Op::N, n, n, n, 1.f, da.data(), n, db.data(), n, 0.f, dc.data());
  };
  product();  // sizes the scratch before the capture, as a step runs plain first
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  MENAGERIE_CUDA_CHECK(cudaStreamBeginCapture(s.get(), cudaStreamCaptureModeThreadLocal));
  product();
  MENAGERIE_CUDA_CHECK(cudaStreamEndCapture(s.get(), &graph));
  MENAGERIE_CUDA_CHECK(cudaGraphInstantiate(&exec, graph, 0));
  cuda::gemm_rm(s.get(), Op::N, Op::N, big, big, big, 1.f, dl.data(), big, dl.data(), big, 0.f, dlc.data());
  std::vector<DeviceBuffer<__nv_bfloat16>> others;
  for (int i = 0; i < 8; ++i) {
    others.emplace_back(1216);
    others.back().fill_bytes(0x5A, s.get());
  }
  dc.upload(std::vector<float>(static_cast<std::size_t>(n * n), NAN), s.get());
  MENAGERIE_CUDA_CHECK(cudaGraphLaunch(exec, s.get()));
  const auto c = dc.download(s.get());
  MENAGERIE_CUDA_CHECK(cudaStreamSynchronize(s.get()));
  for (std::size_t i = 0; i < others.size(); ++i) {
    const auto x = others[i].download(s.get());
    std::int64_t changed = 0;
    for (const auto& e : x) {
      unsigned char bytes[sizeof e];
      std::memcpy(bytes, &e, sizeof e);
      for (const unsigned char byte : bytes) changed += byte != 0x5A;
    }
    EXPECT_EQ(changed, 0) << "the replayed graph wrote into buffer " << i
                          << " allocated after the scratch grew: it packed into a freed scratch";
  }
  MENAGERIE_CUDA_CHECK(cudaGraphExecDestroy(exec));
  MENAGERIE_CUDA_CHECK(cudaGraphDestroy(graph));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double ref = 0, mag = 0;
      for (std::int64_t p = 0; p < n; ++p) {
        const double t = static_cast<double>(bf16_rne(a[static_cast<std::size_t>(i * n + p)])) *
                         bf16_rne(b[static_cast<std::size_t>(p * n + j)]);
        ref += t;
        mag += std::fabs(t);
      }
      const double got = c[static_cast<std::size_t>(i * n + j)];
      ASSERT_LE(std::fabs(got - ref), 1e-5 * mag) << "the replayed graph at " << i << ", " << j << ": got " << got
                                                  << ", bf16 operands in double " << ref << " (seed "
                                                  << test::test_seed() << ")";
    }
}

TEST(Gemm, WorkCountsTwoMNKPerProductByArithmetic) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s;
  const std::int64_t M = 37, N = 19, K = 23;
  const std::uint64_t mnk2 = 2 * 37 * 19 * 23;
  DeviceBuffer<float> a(normal(M * K, 1)), b(normal(K * N, 2)), c(M * N);
  DeviceBuffer<double> a64(M * K), b64(K * N), c64(M * N);
  const auto since = [](const cuda::GemmWork& before) {  // the fields, printed in full on a failure
    const cuda::GemmWork w = cuda::gemm_work() - before;
    return std::vector<std::uint64_t>{w.fp32, w.tf32, w.bf16, w.fp16, w.fp64};
  };
  for (const auto& [p, slot] : {std::pair{cuda::GemmPrecision::fp32, 0}, std::pair{cuda::GemmPrecision::tf32, 1},
                                std::pair{cuda::GemmPrecision::bf16, 2}}) {
    cuda::set_gemm_precision(s.get(), p);
    const auto before = cuda::gemm_work();
    cuda::gemm_rm(s.get(), Op::N, Op::N, M, N, K, 1.f, a.data(), K, b.data(), N, 0.f, c.data());
    cuda::gemm_rm(s.get(), Op::T, Op::N, K, N, M, 1.f, a.data(), K, c.data(), N, 0.f, b.data());
    std::vector<std::uint64_t> want(5, 0);
    want[static_cast<std::size_t>(slot)] = 2 * mnk2;
    EXPECT_EQ(since(before), want) << "precision slot " << slot;
  }
  cuda::set_gemm_precision(s.get(), cuda::GemmPrecision::fp32);
  a64.fill_nan(s.get());
  b64.fill_nan(s.get());
  const auto before = cuda::gemm_work();
  cuda::gemm_rm(s.get(), Op::N, Op::N, M, N, K, 1.0, a64.data(), K, b64.data(), N, 0.0, c64.data());
  EXPECT_EQ(since(before), (std::vector<std::uint64_t>{0, 0, 0, 0, mnk2}));
  s.synchronize();
}

TEST(Gemm, OneHandlePerStream) {
  MENAGERIE_REQUIRE_GPU_OR_SKIP();
  cuda::Stream s1, s2;
  EXPECT_EQ(cuda::cublas_for(s1.get()), cuda::cublas_for(s1.get()));
  EXPECT_NE(cuda::cublas_for(s1.get()), cuda::cublas_for(s2.get()));
}

}  // namespace
}  // namespace menagerie
