#!/usr/bin/env bash
# Builds the custom-op library, kernel_tests and host_test with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DANALOG_DEPLOY_SANITIZE=ON) in a temporary build directory, and runs
# kernel_tests and host_test (on models exported by the installed package, see
# tests/test_cpp_host.py) under them. Exits non-zero on any failure or sanitizer report.
#
#   custom_ops/tests/run_sanitizers.sh [BUILD_DIR]
#
# Environment: PYTHON (default python3; the interpreter with analog_deploy and onnxruntime
# installed), JOBS (build jobs, default: the number of CPUs). Without BUILD_DIR a temporary
# directory is used and removed afterwards.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(dirname "$here")"
repo="$(dirname "$source_dir")"
python="${PYTHON:-python3}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

if [[ $# -ge 1 ]]; then
  work="$1"
  mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/analog-deploy-sanitizers.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
build="$work/build"
cases="$work/cases"

# The runtime that host_test links: the installed onnxruntime wheel's library (not sanitized).
ort_library="$("$python" -c 'import sys; sys.path.insert(0, sys.argv[1]); import test_cpp_host as t; print(t.onnxruntime_library())' "$repo/tests")"

# The sanitized library lies in the build tree, not beside the package, so it is pointed to the
# installed scipy-openblas32 library explicitly: host_test runs every case with that GEMM and again
# with onnxruntime's MatMul (ANALOG_DEPLOY_OPENBLAS=none).
openblas="$("$python" -c 'import os, scipy_openblas32 as s; print(os.path.join(s.get_lib_dir(), "libscipy_openblas.so"))')"

echo "== configure and build (ASan + UBSan) in $build"
cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release -DANALOG_DEPLOY_SANITIZE=ON \
  -DANALOG_DEPLOY_KERNEL_TESTS=ON -DANALOG_DEPLOY_HOST_TEST=ON -DORT_LIBRARY="$ort_library" >"$work/configure.log" \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$build" --parallel "$jobs" --target analog_deploy_ops kernel_tests host_test >"$work/build.log" 2>&1 \
  || { cat "$work/build.log"; exit 1; }
library="$(find "$build" -maxdepth 1 -name 'libanalog_deploy_ops.so*' -print -quit)"
[[ -n "$library" ]] || { echo "run_sanitizers: no libanalog_deploy_ops.so in $build"; exit 1; }

echo "== export the test models (installed analog_deploy) into $cases"
"$python" "$repo/tests/test_cpp_host.py" "$cases"

# Any report stops the program with a non-zero exit code (ASan always does; UBSan with
# halt_on_error). LeakSanitizer stays on: onnxruntime 1.32's wheel leaves nothing for it to report
# in host_test (checked). Should a later onnxruntime leak on its own, turn it off here
# (detect_leaks=0) rather than suppress leaks by module: our kernels run below onnxruntime's frames,
# so a suppression of libonnxruntime would hide our leaks too.
export ASAN_OPTIONS="detect_leaks=1:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=24"

failed=0
# Runs a program; it fails on a non-zero exit code or any sanitizer report in its output.
run() {
  local name="$1" log="$work/$1.log"
  shift
  echo "== $name"
  local status=0
  "$@" >"$log" 2>&1 || status=$?
  cat "$log"
  if [[ $status -ne 0 ]]; then
    echo "run_sanitizers: $name FAILED (exit code $status)"
    failed=1
  elif grep -qE 'runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$log"; then
    echo "run_sanitizers: $name FAILED (sanitizer report)"
    failed=1
  fi
}

run kernel_tests "$build/kernel_tests"
index=0
while read -r -a arguments; do
  index=$((index + 1))
  for gemm in "$openblas" none; do
    run "host_test_${index}_$(basename "$gemm")" env ANALOG_DEPLOY_OPENBLAS="$gemm" "$build/host_test" \
      --library "$library" "${arguments[@]}"
  done
done <"$cases/cases.txt"

if [[ $failed -ne 0 ]]; then
  echo "run_sanitizers: FAIL"
  exit 1
fi
echo "run_sanitizers: PASS (kernel_tests and $index host_test cases with both GEMMs under ASan + UBSan)"
