// C++-level tests of the kernel maths: the AES round against FIPS-197, the AES-NI and portable
// ARS agreeing, the accuracy of the float approximations, and the one-call tile forward of the
// C ABI. Exit code 0 means all passed.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "c_api.h"
#include "fastmath.h"
#include "layer_mvm.h"
#include "random.h"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

// The portable AES round is real AES: AES-128 built from it (with the FIPS-197 key
// expansion) reproduces the example of FIPS-197 Appendix C.1.
void test_aes_known_answer() {
  uint8_t round_keys[11][16];
  for (int i = 0; i < 16; ++i) round_keys[0][i] = static_cast<uint8_t>(i);  // 000102..0f
  const uint8_t* sbox = analog::aes_sbox();
  uint8_t rcon = 1;
  for (int r = 1; r <= 10; ++r) {
    const uint8_t* prev = round_keys[r - 1];
    uint8_t* key = round_keys[r];
    const uint8_t t[4] = {static_cast<uint8_t>(sbox[prev[13]] ^ rcon), sbox[prev[14]], sbox[prev[15]], sbox[prev[12]]};
    for (int i = 0; i < 4; ++i) key[i] = prev[i] ^ t[i];
    for (int i = 4; i < 16; ++i) key[i] = prev[i] ^ key[i - 4];
    rcon = static_cast<uint8_t>((rcon << 1) ^ ((rcon & 0x80) ? 0x1b : 0));
  }
  uint8_t state[16];
  for (int i = 0; i < 16; ++i) state[i] = static_cast<uint8_t>(i * 0x11) ^ round_keys[0][i];  // 00112233..ff
  for (int r = 1; r <= 10; ++r) analog::aes_round_portable(state, round_keys[r], r == 10);
  const uint8_t expected[16] = {0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
                                0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a};
  bool same = true;
  for (int i = 0; i < 16; ++i) same = same && state[i] == expected[i];
  check(same, "AES-128 from the portable round matches FIPS-197 C.1");
}

// Every AES-NI/VAES variant of ARS equals the portable one (so results do not depend on the CPU).
void test_aesni_equals_portable() {
#ifdef AD_ARS_AESNI
  if (!analog::cpu_has_aesni()) return;
  using Variant = void (*)(const analog::ArsKeys&, uint64_t, uint64_t, uint32_t*);
  struct Case {
    Variant variant;
    bool available;
    const char* what;
  };
  const Case variants[] = {{analog::ars_block_aesni, true, "AES-NI ARS equals the portable one"},
                           {analog::ars_block_vaes, analog::cpu_has_vaes(), "VAES ARS equals the portable one"}};
  // counters straddling 2^32 and 2^64 exercise the carries
  const uint64_t starts[] = {0, 12345, 0xfffffffcull, 0xfffffffffffffffcull};
  for (uint64_t start : starts) {
    const analog::ArsKeys keys(0x0123456789abcdefull + start);
    uint32_t a[analog::kBlockNormals], b[analog::kBlockNormals];
    analog::ars_block_portable(keys, start, 77, a);
    for (const Case& c : variants) {
      if (!c.available) continue;
      c.variant(keys, start, 77, b);
      bool same = true;
      for (int i = 0; i < analog::kBlockNormals; ++i) same = same && a[i] == b[i];
      check(same, c.what);
    }
  }
#endif
}

double relative_error(double approx, double exact) { return std::fabs(approx - exact) / std::fmax(std::fabs(exact), 1e-30); }

void test_float_approximations() {
  double log_error = 0, exp_error = 0;
  for (int i = 1; i <= 1 << 20; ++i) {
    const float u = analog::uniform_open(static_cast<uint32_t>(i) * 4099u);
    log_error = std::fmax(log_error, std::fabs(analog::fast_log(u) - std::log(static_cast<double>(u))) / std::fmax(1.0, std::fabs(std::log(static_cast<double>(u)))));
    const float x = -20.0f + 40.0f * u;
    exp_error = std::fmax(exp_error, relative_error(analog::fast_exp(x), std::exp(static_cast<double>(x))));
  }
  std::printf("max errors: log %.2e, exp %.2e (relative)\n", log_error, exp_error);
  check(log_error < 3e-7, "fast_log accuracy");
  check(exp_error < 3e-7, "fast_exp accuracy");
  check(analog::round_even(2.5f) == 2.0f && analog::round_even(3.5f) == 4.0f && analog::round_even(-2.5f) == -2.0f,
        "round_even rounds half to even");
}

// normal_block computes the Box-Muller pairs its comment defines (checked in double precision).
void test_normal_block_formula() {
  const analog::ArsKeys keys(42);
  double max_error = 0;
  for (uint64_t block = 0; block < 4096; ++block) {
    uint32_t words[analog::kBlockNormals];
    float normals[analog::kBlockNormals];
    analog::ars_block(keys, block * analog::kBlockCounters, 3, words);
    analog::normal_block(keys, block * analog::kBlockCounters, 3, normals);
    for (int i = 0; i < analog::kBlockNormals / 2; ++i) {
      const double u = analog::uniform_open(words[i]);  // as the kernel rounds it to float
      const uint32_t angle_bits = words[16 + i];
      const double angle = (angle_bits >> 8) / 16777216.0 * M_PI / 2;  // a + pi/4
      const double radius = std::sqrt(-2.0 * std::log(u));
      const double expected_cos = radius * std::cos(angle) * ((angle_bits & 1) ? -1 : 1);
      const double expected_sin = radius * std::sin(angle) * ((angle_bits & 2) ? -1 : 1);
      max_error = std::fmax(max_error, std::fabs(normals[i] - expected_cos));
      max_error = std::fmax(max_error, std::fabs(normals[16 + i] - expected_sin));
    }
  }
  std::printf("normal_block: max absolute error %.2e against the formula in double\n", max_error);
  check(max_error < 3e-6, "normal_block follows its Box-Muller formula");
}

// normal_blocks gives normal_block's numbers, block by block, for every batch size.
void test_normal_blocks_equal_normal_block() {
  const analog::ArsKeys keys(7);
  bool equal = true;
  for (int count = 1; count <= analog::kMaxBatchBlocks; ++count) {
    float batched[analog::kMaxBatchBlocks * analog::kBlockNormals];
    analog::normal_blocks(keys, 1000, 5, count, batched);
    for (int b = 0; b < count; ++b) {
      float single[analog::kBlockNormals];
      analog::normal_block(keys, (1000 + b) * analog::kBlockCounters, 5, single);
      equal = equal && std::memcmp(single, batched + b * analog::kBlockNormals, sizeof(single)) == 0;
    }
  }
  check(equal, "normal_blocks equals normal_block block by block");
}

// A naive column-major Fortran sgemm for transa = 'T', transb = 'N' (all the C ABI asks for):
// C[m, n] = A^T B with A [k, m] and B [k, n], summing over k in order.
void naive_sgemm(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
                 const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
                 const int* ldc) {
  check(*transa == 'T' && *transb == 'N' && *alpha == 1.0f && *beta == 0.0f, "ad_tile_forward's sgemm arguments");
  for (int j = 0; j < *n; ++j)
    for (int i = 0; i < *m; ++i) {
      float sum = 0.0f;
      for (int p = 0; p < *k; ++p) sum += a[i * *lda + p] * b[j * *ldb + p];
      c[j * *ldc + i] = sum;
    }
}

// ad_tile_forward (dense and gathered vectors) equals the noise-free MVM computed in double: DAC,
// product, scales, then addend and bias; NaN inputs give NaN rows.
void test_tile_forward() {
  constexpr int rows = 37, cols = 19, out = 11;
  std::vector<float> x(rows * cols), w(out * cols), col_scale(out), alpha{0.9f}, addend(rows * out), bias(out);
  uint32_t state = 1;
  auto next = [&] { return static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f; };
  for (auto& v : x) v = 4 * next();
  for (auto& v : w) v = next();
  for (auto& v : col_scale) v = 1 + next();
  for (auto& v : addend) v = next();
  for (auto& v : bias) v = next();
  x[5 * cols + 3] = std::nanf("");
  const double inp_res = 1.0 / 126;
  std::vector<int64_t> origins(rows), offsets(cols);
  for (int r = 0; r < rows; ++r) origins[r] = r * cols;
  for (int c = 0; c < cols; ++c) offsets[c] = c;
  std::vector<float> dense(rows * out), gathered(rows * out);
  uint64_t noise[2] = {1, 0};
  const AdTile tile{w.data(), out, col_scale.data(), alpha.data(), 1, 1.0, inp_res, 1, 0.0, 0.0, 0.0, 0.0,
                    1000.0f, reinterpret_cast<void*>(naive_sgemm), noise};
  const auto run = [&](const int64_t* o, const int64_t* f, float* y) {
    return ad_tile_forward(&tile, x.data(), cols, o, f, rows, cols, addend.data(), bias.data(), y, 2);
  };
  check(run(nullptr, nullptr, dense.data()) == 0, "ad_tile_forward without an ADC redoes nothing");
  check(noise[0] == 1 && noise[1] == 1, "ad_tile_forward advances the noise stream past the one pass it used");
  run(origins.data(), offsets.data(), gathered.data());
  check(std::memcmp(dense.data(), gathered.data(), dense.size() * sizeof(float)) == 0,
        "ad_tile_forward on gathered vectors equals it on dense rows");
  double worst = 0;
  bool nan_row = true, finite_elsewhere = true;
  const double step = inp_res * 2;
  for (int r = 0; r < rows; ++r) {
    double scale = 0;
    for (int c = 0; c < cols; ++c) scale = std::fmax(scale, std::fabs(x[r * cols + c]));
    for (int o = 0; o < out; ++o) {
      const float value = dense[r * out + o];
      if (r == 5) {
        nan_row = nan_row && std::isnan(value);
        continue;
      }
      finite_elsewhere = finite_elsewhere && std::isfinite(value);
      double product = 0;
      for (int c = 0; c < cols; ++c)
        product += std::nearbyint(std::fmin(std::fmax(x[r * cols + c] / (scale * step), -126.0), 126.0)) *
                   w[o * cols + c];
      const double expected = product * step * scale * col_scale[o] * alpha[0] + addend[r * out + o] + bias[o];
      worst = std::fmax(worst, std::fabs(value - expected));
    }
  }
  std::printf("ad_tile_forward: max absolute error %.2e against double\n", worst);
  check(worst < 1e-5, "ad_tile_forward follows the noise-free MVM");
  check(nan_row && finite_elsewhere, "ad_tile_forward: a NaN input makes its row NaN, and only its row");
}

}  // namespace

int main() {
  test_aes_known_answer();
  test_aesni_equals_portable();
  test_float_approximations();
  test_normal_block_formula();
  test_normal_blocks_equal_normal_block();
  test_tile_forward();
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
