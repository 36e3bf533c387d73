// The driver every harness shares: afl-fuzz (classic afl-g++ instrumentation: no persistent
// mode) starts the program once per input with the input on stdin. With file arguments it
// runs each file in turn instead, to reproduce a finding: `build-fuzz/fuzz/http_fuzz crash-file`.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int RunOne(const std::string& input) {
  // A copy of exactly `size` bytes on the heap, so that ASan sees a read past the end.
  auto* copy = new uint8_t[input.size()];
  std::copy(input.begin(), input.end(), copy);
  const int rc = LLVMFuzzerTestOneInput(copy, input.size());
  delete[] copy;
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return RunOne(input);
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open\n", argv[i]);
      return 2;
    }
    std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "running %s (%zu bytes)\n", argv[i], input.size());
    RunOne(input);
  }
  return 0;
}
