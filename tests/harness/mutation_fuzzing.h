#pragma once

// The bounded, deterministic stand-in for libFuzzer that every fuzz target
// runs in ordinary builds: each round takes a seed input and applies a few
// random edits (replace, insert, delete) drawn from an alphabet, then feeds
// the result to the target. Header-only: fuzz tests link nothing else.

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace todo::testing {

template <typename Target>
void RunMutations(const std::vector<std::string>& corpus, const std::string& alphabet, int rounds,
                  Target target) {
  std::mt19937 random(20261123);
  for (int round = 0; round < rounds; ++round) {
    std::string input = corpus[round % corpus.size()];
    const int edits = 1 + static_cast<int>(random() % 6);
    for (int edit = 0; edit < edits; ++edit) {
      const size_t at = input.empty() ? 0 : random() % input.size();
      const char c =
          alphabet.empty() ? static_cast<char>(random()) : alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          if (!input.empty()) input[at] = c;
          break;
        case 1:
          input.insert(at, 1, c);
          break;
        default:
          if (!input.empty()) input.erase(at, 1);
      }
    }
    target(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
}

}  // namespace todo::testing
