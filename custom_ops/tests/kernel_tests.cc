// C++-level tests of the kernel maths: Philox known answers, the AVX2 and portable Philox
// agreeing, and the accuracy of the float approximations. Exit code 0 means all passed.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "fastmath.h"
#include "philox.h"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s\n", what);
    ++failures;
  }
}

// Random123's known-answer vectors for Philox4x32-10: (counter words, key words) -> words.
void test_known_answers() {
  struct Case {
    uint32_t counter[4], key[2], expected[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case& c : cases) {
    const uint64_t counter = (static_cast<uint64_t>(c.counter[1]) << 32) | c.counter[0];
    const uint64_t stream = (static_cast<uint64_t>(c.counter[3]) << 32) | c.counter[2];
    const uint64_t key = (static_cast<uint64_t>(c.key[1]) << 32) | c.key[0];
    uint32_t words[analog::kBlockNormals];
    analog::philox_block_portable(key, counter, stream, words);
    for (int w = 0; w < 4; ++w) check(words[w * analog::kLanes] == c.expected[w], "portable Philox known answer");
    analog::philox_block(key, counter, stream, words);
    for (int w = 0; w < 4; ++w) check(words[w * analog::kLanes] == c.expected[w], "dispatched Philox known answer");
  }
}

void test_avx2_equals_portable() {
#ifdef AD_PHILOX_AVX2
  if (!analog::cpu_has_avx2()) return;
  // counters straddling 2^32 exercise the carry into the high word
  const uint64_t starts[] = {0, 12345, 0xfffffffcull, 0x123456789abcdef0ull};
  for (uint64_t start : starts) {
    uint32_t a[analog::kBlockNormals], b[analog::kBlockNormals];
    analog::philox_block_portable(0x0123456789abcdefull, start, 77, a);
    analog::philox_block_avx2(0x0123456789abcdefull, start, 77, b);
    bool same = true;
    for (int i = 0; i < analog::kBlockNormals; ++i) same = same && a[i] == b[i];
    check(same, "AVX2 Philox equals the portable one");
  }
#endif
}

double relative_error(double approx, double exact) { return std::fabs(approx - exact) / std::fmax(std::fabs(exact), 1e-30); }

void test_float_approximations() {
  double log_error = 0, exp_error = 0, trig_error = 0;
  for (int i = 1; i <= 1 << 20; ++i) {
    const float u = analog::uniform_open(static_cast<uint32_t>(i) * 4099u);
    log_error = std::fmax(log_error, std::fabs(analog::fast_log(u) - std::log(static_cast<double>(u))) / std::fmax(1.0, std::fabs(std::log(static_cast<double>(u)))));
    const float x = -20.0f + 40.0f * u;
    exp_error = std::fmax(exp_error, relative_error(analog::fast_exp(x), std::exp(static_cast<double>(x))));
    float s, c;
    analog::sincos_turns(u, &s, &c);
    const double angle = 2.0 * M_PI * static_cast<double>(u);
    trig_error = std::fmax(trig_error, std::fmax(std::fabs(s - std::sin(angle)), std::fabs(c - std::cos(angle))));
  }
  std::printf("max errors: log %.2e, exp %.2e (relative), sin/cos %.2e (absolute)\n", log_error, exp_error, trig_error);
  check(log_error < 3e-7, "fast_log accuracy");
  check(exp_error < 3e-7, "fast_exp accuracy");
  check(trig_error < 3e-7, "sincos_turns accuracy");
  check(analog::round_even(2.5f) == 2.0f && analog::round_even(3.5f) == 4.0f && analog::round_even(-2.5f) == -2.0f,
        "round_even rounds half to even");
}

}  // namespace

int main() {
  test_known_answers();
  test_avx2_equals_portable();
  test_float_approximations();
  std::printf("%d failed\n", failures);
  return failures == 0 ? 0 : 1;
}
