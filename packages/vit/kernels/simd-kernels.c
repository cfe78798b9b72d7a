// Attention products for @msn/vit, compiled to a small WebAssembly module (see build-simd-kernels.sh).
//
// Why: tfjs-backend-wasm 4.22 runs batched or transpose-flagged matrix products in a scalar loop (~2 GFLOP/s), and
// attention needs one small product per (sample, head). These kernels do every product of a block in one call with
// 128-bit SIMD, reading and writing the operands in place through strides (heads are column ranges of [B·L, D] rows),
// so no split/merge transposes are needed either. Freestanding C: no libc, no allocation; the caller owns memory.

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

// C[g] = alpha · A[g] · B[g] for every group g = (outer o < outerCount, inner h < innerCount), with
//   A[g](i, k) = a[o·aOuter + h·aInner + i·aRow + k·aColumn]   (i < M, k < K)
//   B[g](k, j) = b[o·bOuter + h·bInner + k·bRow + j·bColumn]   (k < K, j < N)
//   C[g](i, j) = c[o·cOuter + h·cInner + i·cRow + j]
// `panel` needs K·roundUp(N, 8) floats: B[g] is copied there contiguously (zero-padded columns), then each 4×8 (or
// 1×8) output tile accumulates over k in increasing order, one multiply and one add per term (no fused multiply-add),
// so every output element is the same sequential float32 sum whatever the tile.
EXPORT("batched_matmul")
void batched_matmul(int outerCount, int innerCount, int M, int K, int N, float alpha,
                    const float* a, int aOuter, int aInner, int aRow, int aColumn,
                    const float* b, int bOuter, int bInner, int bRow, int bColumn,
                    float* c, int cOuter, int cInner, int cRow,
                    float* panel) {
  const int paddedN = (N + 7) & ~7;
  const v128_t scale = wasm_f32x4_splat(alpha);
  for (int o = 0; o < outerCount; o++) {
    for (int h = 0; h < innerCount; h++) {
      const float* A = a + o * aOuter + h * aInner;
      const float* B = b + o * bOuter + h * bInner;
      float* C = c + o * cOuter + h * cInner;
      for (int k = 0; k < K; k++) {
        const float* source = B + k * bRow;
        float* target = panel + k * paddedN;
        int j = 0;
        for (; j < N; j++) target[j] = source[j * bColumn];
        for (; j < paddedN; j++) target[j] = 0.0f;
      }
      for (int j0 = 0; j0 < paddedN; j0 += 8) {
        const int width = N - j0 < 8 ? N - j0 : 8;
        int i = 0;
        for (; i + 4 <= M; i += 4) {
          const float* a0 = A + i * aRow;
          const float* a1 = a0 + aRow;
          const float* a2 = a1 + aRow;
          const float* a3 = a2 + aRow;
          const float* p = panel + j0;
          v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
          v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
          for (int k = 0; k < K; k++) {
            const v128_t b0 = wasm_v128_load(p);
            const v128_t b1 = wasm_v128_load(p + 4);
            p += paddedN;
            const int offset = k * aColumn;
            v128_t x = wasm_f32x4_splat(a0[offset]);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a1[offset]);
            c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));
            c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a2[offset]);
            c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));
            c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
            x = wasm_f32x4_splat(a3[offset]);
            c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));
            c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
          }
          v128_t rows[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
          for (int r = 0; r < 4; r++) {
            float* out = C + (i + r) * cRow + j0;
            const v128_t left = wasm_f32x4_mul(rows[2 * r], scale);
            const v128_t right = wasm_f32x4_mul(rows[2 * r + 1], scale);
            if (width == 8) {
              wasm_v128_store(out, left);
              wasm_v128_store(out + 4, right);
            } else {
              float lanes[8];
              wasm_v128_store(lanes, left);
              wasm_v128_store(lanes + 4, right);
              for (int j = 0; j < width; j++) out[j] = lanes[j];
            }
          }
        }
        for (; i < M; i++) {
          const float* a0 = A + i * aRow;
          const float* p = panel + j0;
          v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00;
          for (int k = 0; k < K; k++) {
            const v128_t x = wasm_f32x4_splat(a0[k * aColumn]);
            c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, wasm_v128_load(p)));
            c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, wasm_v128_load(p + 4)));
            p += paddedN;
          }
          float lanes[8];
          wasm_v128_store(lanes, wasm_f32x4_mul(c00, scale));
          wasm_v128_store(lanes + 4, wasm_f32x4_mul(c01, scale));
          float* out = C + i * cRow + j0;
          for (int j = 0; j < width; j++) out[j] = lanes[j];
        }
      }
    }
  }
}

// Softmax backward for rows of length n: out = P ⊙ (dP − Σⱼ dPⱼ·Pⱼ), per row (sequential sum over j).
EXPORT("softmax_backward")
void softmax_backward(int rowCount, int n, const float* gradient, const float* probabilities, float* out) {
  for (int r = 0; r < rowCount; r++) {
    const float* dp = gradient + r * n;
    const float* p = probabilities + r * n;
    float* o = out + r * n;
    float dot = 0.0f;
    for (int j = 0; j < n; j++) dot += dp[j] * p[j];
    for (int j = 0; j < n; j++) o[j] = p[j] * (dp[j] - dot);
  }
}

// p·x + c, one Horner step.
#define HORNER(p, x, c) wasm_f32x4_add(wasm_f32x4_mul(p, x), wasm_f32x4_splat(c))

// exp(x) for x ≤ 0 (clamped at −87, where it is ~1.6e-38): x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by its degree-7
// Taylor polynomial (truncation < 6e-9 relative), times 2ⁿ built in the exponent bits.
static inline v128_t exp_nonpositive(v128_t x) {
  x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f));
  const v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.0f / 5040.0f);
  p = HORNER(p, r, 1.0f / 720.0f);
  p = HORNER(p, r, 1.0f / 120.0f);
  p = HORNER(p, r, 1.0f / 24.0f);
  p = HORNER(p, r, 1.0f / 6.0f);
  p = HORNER(p, r, 0.5f);
  p = HORNER(p, r, 1.0f);
  p = HORNER(p, r, 1.0f);
  const v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, scale);
}

// Softmax of each row of length n, in place: exp(x − max)/Σ exp(x − max). Reads up to 3 floats past the last row
// (the caller leaves room); writes only the rows.
EXPORT("softmax_rows")
void softmax_rows(int rowCount, int n, float* data) {
  for (int r = 0; r < rowCount; r++) {
    float* row = data + r * n;
    float max = row[0];
    for (int j = 1; j < n; j++) max = row[j] > max ? row[j] : max;
    const v128_t shift = wasm_f32x4_splat(max);
    v128_t sums = wasm_f32x4_splat(0.0f);
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      const v128_t e = exp_nonpositive(wasm_f32x4_sub(wasm_v128_load(row + j), shift));
      wasm_v128_store(row + j, e);
      sums = wasm_f32x4_add(sums, e);
    }
    float tail[4];
    if (j < n) {
      wasm_v128_store(tail, exp_nonpositive(wasm_f32x4_sub(wasm_v128_load(row + j), shift)));
      for (int t = 0; j + t < n; t++) {
        row[j + t] = tail[t];
        sums = wasm_f32x4_add(sums, wasm_f32x4_make(tail[t], 0.0f, 0.0f, 0.0f));
      }
    }
    const float total = wasm_f32x4_extract_lane(sums, 0) + wasm_f32x4_extract_lane(sums, 1) +
                        wasm_f32x4_extract_lane(sums, 2) + wasm_f32x4_extract_lane(sums, 3);
    const v128_t divisor = wasm_f32x4_splat(total);
    for (j = 0; j + 4 <= n; j += 4) wasm_v128_store(row + j, wasm_f32x4_div(wasm_v128_load(row + j), divisor));
    for (; j < n; j++) row[j] = row[j] / total;
  }
}
