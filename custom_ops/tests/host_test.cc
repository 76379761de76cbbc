// A C++ host program that runs an exported model through onnxruntime's C++ API with the analog
// custom-op library registered: the library works outside Python. tests/test_cpp_host.py and
// custom_ops/tests/run_sanitizers.sh build and run it.
//
//   host_test --library libanalog_deploy_ops.so --model model.onnx
//             --input x.f32 --input-shape 4,20 --expected y.f32 --expected-shape 4,5 --atol 1e-5
//             [--malformed-model relaxed.onnx] [--threads N]
//
// The .f32 files are raw little-endian float32 in row-major order. The program
//   1. runs the model on the input and compares the output with the expected one (|y - e| <= atol);
//   2. runs it on inputs whose last dimension (and for inputs of rank > 2 also dimension 1, the
//      channels) is one too large, and on an input holding a NaN: each must fail with an
//      Ort::Exception (printed), not crash. The wrong shapes are also run on --malformed-model if
//      given (e.g. a copy of the model whose input dimensions are all free, so that the shape
//      reaches the analog op instead of onnxruntime's own input check);
//   3. runs the valid input again: the session must still work after the failed runs.
// It ends with one line "host_test: PASS" or "host_test: FAIL (...)"; exit code 0 only on PASS.
#include <onnxruntime_cxx_api.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "host_test reads little-endian float32 files and assumes a little-endian host"
#endif

namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* const kUsage =
    "usage: host_test --library LIB --model MODEL --input X.f32 --input-shape D0,D1,.. "
    "--expected Y.f32 --expected-shape D0,D1,.. --atol TOL [--malformed-model MODEL] [--threads N]";

std::map<std::string, std::string> parse_arguments(int argc, char** argv) {
  std::map<std::string, std::string> args;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) throw Failure(std::string("bad argument '") + flag + "'\n" + kUsage);
    args[flag.substr(2)] = argv[i + 1];
  }
  for (const char* required : {"library", "model", "input", "input-shape", "expected", "expected-shape", "atol"}) {
    if (!args.count(required)) throw Failure(std::string("missing --") + required + "\n" + kUsage);
  }
  return args;
}

std::vector<int64_t> parse_shape(const std::string& text) {
  std::vector<int64_t> shape;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    char* end = nullptr;
    const long long value = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < 0) throw Failure("bad shape '" + text + "'");
    shape.push_back(value);
  }
  if (shape.empty()) throw Failure("empty shape");
  return shape;
}

size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::vector<float> read_floats(const std::string& path, const std::vector<int64_t>& shape) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw Failure("cannot open " + path);
  const std::streamsize bytes = file.tellg();
  const size_t n = element_count(shape);
  if (bytes != static_cast<std::streamsize>(n * sizeof(float))) {
    throw Failure(path + " holds " + std::to_string(bytes) + " bytes, shape " + shape_text(shape) + " needs " +
                  std::to_string(n * sizeof(float)));
  }
  std::vector<float> values(n);
  file.seekg(0);
  file.read(reinterpret_cast<char*>(values.data()), bytes);
  if (!file) throw Failure("cannot read " + path);
  return values;
}

struct Output {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// Runs `session` on one float input; the first output, copied.
Output run(Ort::Session& session, std::vector<float> input, const std::vector<int64_t>& shape) {
  Ort::AllocatorWithDefaultOptions allocator;
  if (session.GetInputCount() != 1 || session.GetOutputCount() < 1) {
    throw Failure("host_test handles models with one input and at least one output, this one has " +
                  std::to_string(session.GetInputCount()) + " inputs and " +
                  std::to_string(session.GetOutputCount()) + " outputs");
  }
  const auto input_name = session.GetInputNameAllocated(0, allocator);
  const auto output_name = session.GetOutputNameAllocated(0, allocator);
  const char* input_names[] = {input_name.get()};
  const char* output_names[] = {output_name.get()};
  const auto memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  Ort::Value x = Ort::Value::CreateTensor<float>(memory, input.data(), input.size(), shape.data(), shape.size());
  auto outputs = session.Run(Ort::RunOptions{nullptr}, input_names, &x, 1, output_names, 1);
  Ort::Value& y = outputs.at(0);
  if (!y.IsTensor()) throw Failure("the first output is not a tensor");
  const auto info = y.GetTensorTypeAndShapeInfo();
  if (info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) throw Failure("the first output is not float");
  Output result{info.GetShape(), {}};
  const float* data = y.GetTensorData<float>();
  result.values.assign(data, data + info.GetElementCount());
  return result;
}

// Throws Failure unless `output` has the expected shape and values within `atol`.
void compare(const Output& output, const std::vector<int64_t>& shape, const std::vector<float>& expected,
             double atol, const char* what) {
  if (output.shape != shape) {
    throw Failure(std::string(what) + ": output shape " + shape_text(output.shape) + ", expected " + shape_text(shape));
  }
  double worst = 0.0;
  size_t worst_index = 0, bad = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(output.values[i]) - expected[i]);
    if (!(diff <= atol)) ++bad;  // NaN counts as bad
    if (!(diff <= worst)) {
      worst = diff;
      worst_index = i;
    }
  }
  std::printf("%s: %zu values, max |difference| %.3g (atol %.3g)\n", what, expected.size(), worst, atol);
  if (bad) {
    std::ostringstream text;
    text << what << ": " << bad << " of " << expected.size() << " values differ by more than " << atol
         << "; worst at " << worst_index << ": got " << output.values[worst_index] << ", expected "
         << expected[worst_index];
    throw Failure(text.str());
  }
}

// Runs a malformed input: it must raise an Ort::Exception (printed). Anything else is a failure.
void expect_rejected(Ort::Session& session, const std::vector<float>& input, const std::vector<int64_t>& shape,
                     const char* what, const char* message_part) {
  try {
    const Output output = run(session, input, shape);
  } catch (const Ort::Exception& error) {
    std::printf("%s: rejected as expected (code %d): %s\n", what, static_cast<int>(error.GetOrtErrorCode()),
                error.what());
    if (message_part && !std::strstr(error.what(), message_part)) {
      throw Failure(std::string(what) + ": the error does not mention '" + message_part + "'");
    }
    return;
  }
  throw Failure(std::string(what) + ": the run succeeded, expected an Ort::Exception");
}

Ort::SessionOptions session_options(const std::string& library, int threads) {
  Ort::SessionOptions options;
  options.SetIntraOpNumThreads(threads);
  options.RegisterCustomOpsLibrary(library.c_str());
  return options;
}

void host_test(const std::map<std::string, std::string>& args) {
  const std::vector<int64_t> input_shape = parse_shape(args.at("input-shape"));
  const std::vector<int64_t> expected_shape = parse_shape(args.at("expected-shape"));
  const std::vector<float> input = read_floats(args.at("input"), input_shape);
  const std::vector<float> expected = read_floats(args.at("expected"), expected_shape);
  const double atol = std::stod(args.at("atol"));
  const int threads = args.count("threads") ? std::stoi(args.at("threads")) : 2;

  Ort::Env env(ORT_LOGGING_LEVEL_WARNING, "host_test");
  const Ort::SessionOptions options = session_options(args.at("library"), threads);
  Ort::Session session(env, args.at("model").c_str(), options);
  std::printf("onnxruntime %s, model %s, input %s\n", Ort::GetVersionString().c_str(), args.at("model").c_str(),
              shape_text(input_shape).c_str());

  compare(run(session, input, input_shape), expected_shape, expected, atol, "valid input");

  // The last dimension one too large, and for inputs of rank > 2 (convolutions) also dimension 1
  // (the channels); the values: the valid input's, cycled.
  std::vector<size_t> dimensions{input_shape.size() - 1};
  if (input_shape.size() > 2) dimensions.push_back(1);
  Ort::Session relaxed{nullptr};
  if (args.count("malformed-model")) relaxed = Ort::Session(env, args.at("malformed-model").c_str(), options);
  for (size_t dimension : dimensions) {
    std::vector<int64_t> wrong_shape = input_shape;
    ++wrong_shape[dimension];
    std::vector<float> wrong(element_count(wrong_shape));
    for (size_t i = 0; i < wrong.size(); ++i) wrong[i] = input[i % input.size()];
    const std::string what = "dimension " + std::to_string(dimension) + " one too large";
    if (relaxed) expect_rejected(relaxed, wrong, wrong_shape, (what + " (free-shape model)").c_str(), nullptr);
    expect_rejected(session, wrong, wrong_shape, what.c_str(), nullptr);
  }

  // A NaN reaches the analog op, which must refuse it.
  std::vector<float> with_nan = input;
  with_nan[with_nan.size() / 2] = std::nanf("");
  expect_rejected(session, with_nan, input_shape, "NaN input", "NaN");

  // The session still works after the failed runs (values may differ with noise: a new call).
  const Output again = run(session, input, input_shape);
  if (again.shape != expected_shape) throw Failure("rerun: output shape " + shape_text(again.shape));
  for (float v : again.values) {
    if (!std::isfinite(v)) throw Failure("rerun: non-finite output");
  }
  std::printf("rerun after the failed runs: ok\n");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    host_test(parse_arguments(argc, argv));
  } catch (const Failure& failure) {
    std::printf("host_test: FAIL (%s)\n", failure.what());
    return 1;
  } catch (const Ort::Exception& error) {
    std::printf("host_test: FAIL (onnxruntime error %d: %s)\n", static_cast<int>(error.GetOrtErrorCode()),
                error.what());
    return 1;
  } catch (const std::exception& error) {
    std::printf("host_test: FAIL (%s)\n", error.what());
    return 1;
  }
  std::printf("host_test: PASS\n");
  return 0;
}
