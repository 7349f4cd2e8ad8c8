// Classification top-k without allocating: `out` itself holds the best so far, kept sorted
// by insertion. k is small (a handful of labels) next to the classes (about a thousand),
// so this is one pass with a rare short shift, and needs no scratch.
#include <algorithm>
#include <cmath>

#include "edgert/runtime/postprocess.hpp"

namespace edgert::runtime {

std::size_t topK(std::span<const float> scores, std::size_t k, std::span<Detection> out) {
  const std::size_t limit = std::min({k, out.size(), scores.size()});
  std::size_t count = 0;
  for (std::size_t c = 0; c < scores.size() && limit > 0; ++c) {
    const float s = scores[c];
    if (std::isnan(s)) continue;
    // Strictly better than the last kept one, or room left: equal scores stay behind the
    // earlier class, so ties keep the lower class id first.
    if (count == limit && !(s > out[count - 1].score)) continue;
    std::size_t at = count < limit ? count++ : count - 1;
    while (at > 0 && s > out[at - 1].score) {
      out[at] = out[at - 1];
      --at;
    }
    Detection d;
    d.score = s;
    d.classId = static_cast<int>(c);
    out[at] = d;
  }
  return count;
}

}  // namespace edgert::runtime
