// ONNX import, Einsum in its matrix-product forms (importer.hpp): one or two operands, each
// letter at most once per operand, "..." for leading dims. Made of the kernel ops:
//   one operand:  ReduceSum over the letters the output drops, then a Transpose;
//   two operands: ReduceSum over the letters only one operand has and the output drops; A
//     transposed to [batch, A's kept, contracted] and B to [batch, contracted, B's kept],
//     both reshaped to 3 groups, one MatMul (batch dims broadcast as numpy's), then the
//     result reshaped to the letters and transposed to the output's order.
// Steps that would change nothing (an identity Transpose or Reshape) are left out.
#include "compiler/onnx/importer.hpp"

#include <string>

namespace edgert::compiler::onnx_import {

namespace {

// One operand's letters: its subscripts with "..." expanded into the digit letters
// '0'..'7', right-aligned, so that ellipsis dims line up across operands as numpy's.
Result<std::string> expandTerm(std::string term, int rank, int ellipsisRank, std::string_view what) {
  const std::size_t dots = term.find("...");
  if (dots != std::string::npos) {
    const int named = static_cast<int>(term.size()) - 3;
    const int own = rank - named;
    if (own < 0 || own > ellipsisRank) {
      return makeError(Errc::kInvalidArgument, "{} '{}' does not fit a rank-{} operand", what, term, rank);
    }
    std::string digits;
    for (int i = ellipsisRank - own; i < ellipsisRank; ++i) digits += static_cast<char>('0' + i);
    term = term.substr(0, dots) + digits + term.substr(dots + 3);
  }
  for (char c : term) {
    if (!std::isalpha(static_cast<unsigned char>(c)) && !std::isdigit(static_cast<unsigned char>(c))) {
      return makeError(Errc::kInvalidArgument, "{} '{}' has a character that is not a letter", what, term);
    }
    if (std::count(term.begin(), term.end(), c) > 1) {
      return makeError(Errc::kUnsupported, "{} '{}' repeats '{}' (a diagonal); edgert supports matrix products",
                       what, term, c);
    }
  }
  if (static_cast<int>(term.size()) != rank) {
    return makeError(Errc::kInvalidArgument, "{} '{}' has {} letters for a rank-{} operand", what, term, term.size(),
                     rank);
  }
  return term;
}

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

}  // namespace

std::span<const OnnxImporter::OpEntry> OnnxImporter::einsumOps() {
  static constexpr OpEntry kOps[] = {
      {"Einsum", 12, kMaxOpset, &OnnxImporter::importEinsum},
  };
  return kOps;
}

// One step of the lowering: a node named after the Einsum computing a new value.
template <typename P>
Result<ValueId> OnnxImporter::einsumStep(const NodeCtx& ctx, std::string_view step, OpCode op, const P& params,
                                         std::vector<ValueId> inputs) {
  const std::string name = fmt::format("{}/{}", ctx.name, step);
  return emit(ctx, name, op, params, std::move(inputs), uniqueName(outputName(ctx) + "/" + std::string(step)));
}

// x with the letters `from` reordered to `to` (a permutation of them).
Result<ValueId> OnnxImporter::einsumTranspose(const NodeCtx& ctx, std::string_view step, ValueId x,
                                              const std::string& from, const std::string& to) {
  if (from == to) return x;
  kernels::TransposeParams t;
  t.rank = static_cast<std::int32_t>(to.size());
  for (std::size_t i = 0; i < to.size(); ++i) t.perm[i] = static_cast<std::int32_t>(from.find(to[i]));
  return einsumStep(ctx, step, OpCode::kTranspose, t, {x});
}

// x summed over the letters of `letters` that `keep` lacks; `letters` loses them.
Result<ValueId> OnnxImporter::einsumSumOut(const NodeCtx& ctx, std::string_view step, ValueId x, std::string& letters,
                                           const std::string& keep) {
  kernels::ReduceParams r;
  r.kind = kernels::ReduceKind::kSum;
  r.keepDims = 0;
  std::string kept;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    if (has(keep, letters[i])) {
      kept += letters[i];
    } else {
      r.axesMask |= 1u << i;
    }
  }
  if (r.axesMask == 0) return x;
  letters = kept;
  return einsumStep(ctx, step, OpCode::kReduce, r, {x});
}

Result<ValueId> OnnxImporter::einsumReshape(const NodeCtx& ctx, std::string_view step, ValueId x, const Shape& shape) {
  if (typeOf(x).shape == shape) return x;
  kernels::ReshapeParams p;
  p.shape = shape;
  return einsumStep(ctx, step, OpCode::kReshape, p, {x});
}

Result<void> OnnxImporter::importEinsum(const NodeCtx& ctx) {
  EDGERT_ASSIGN_OR_RETURN(std::string equation, attrString(ctx, "equation", ""));
  equation.erase(std::remove(equation.begin(), equation.end(), ' '), equation.end());
  const int count = ctx.proto.input_size();
  if (count < 1 || count > 2) {
    return nodeError(ctx, Errc::kUnsupported, "{} operands; edgert supports Einsum of one or two", count);
  }
  const std::size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<std::string> terms;
  for (std::size_t start = 0;;) {
    const std::size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (static_cast<int>(terms.size()) != count) {
    return nodeError(ctx, Errc::kInvalidArgument, "equation '{}' has {} terms for {} operands", equation, terms.size(),
                     count);
  }
  std::vector<ValueId> operands;
  int ellipsisRank = 0;
  for (int i = 0; i < count; ++i) {
    EDGERT_ASSIGN_OR_RETURN(ValueId v, input(ctx, i));
    operands.push_back(v);
    const std::string& t = terms[static_cast<std::size_t>(i)];
    if (t.find("...") != std::string::npos) {
      ellipsisRank = std::max(ellipsisRank, typeOf(v).shape.rank - static_cast<int>(t.size() - 3));
    }
  }
  std::vector<std::string> letters;
  for (int i = 0; i < count; ++i) {
    auto expanded = expandTerm(terms[static_cast<std::size_t>(i)], typeOf(operands[static_cast<std::size_t>(i)]).shape.rank,
                               ellipsisRank, fmt::format("operand {}", i));
    if (!expanded) return nodeError(ctx, expanded.error().code(), "{}", expanded.error().message());
    letters.push_back(*expanded);
  }
  // The output: as written, or (implicit form) the ellipsis, then the letters seen once in
  // alphabetical order.
  std::string out;
  if (arrow != std::string::npos) {
    std::string rhs = equation.substr(arrow + 2);
    if (rhs.find("...") != std::string::npos) {
      rhs.replace(rhs.find("..."), 3, "");
      std::string digits;
      for (int i = 0; i < ellipsisRank; ++i) digits += static_cast<char>('0' + i);
      rhs.insert(equation.substr(arrow + 2).find("..."), digits);
    }
    out = rhs;
  } else {
    for (int i = 0; i < ellipsisRank; ++i) out += static_cast<char>('0' + i);
    std::string once;
    for (const std::string& l : letters) {
      for (char c : l) {
        if (std::isalpha(static_cast<unsigned char>(c)) && std::count(lhs.begin(), lhs.end(), c) == 1) once += c;
      }
    }
    std::sort(once.begin(), once.end());
    out += once;
  }
  // Each letter's size, and every output letter from an operand.
  std::int64_t sizeOf[128] = {};
  for (int i = 0; i < count; ++i) {
    const Shape& s = typeOf(operands[static_cast<std::size_t>(i)]).shape;
    for (std::size_t k = 0; k < letters[static_cast<std::size_t>(i)].size(); ++k) {
      const char c = letters[static_cast<std::size_t>(i)][k];
      std::int64_t& size = sizeOf[static_cast<unsigned char>(c)];
      if (size > 1 && s.dims[k] > 1 && size != s.dims[k]) {
        return nodeError(ctx, Errc::kInvalidArgument, "'{}' is {} in one operand and {} in another", c, size, s.dims[k]);
      }
      size = std::max(size, s.dims[k]);
    }
  }
  for (char c : out) {
    if (std::count(out.begin(), out.end(), c) > 1 ||
        std::none_of(letters.begin(), letters.end(), [c](const std::string& l) { return has(l, c); })) {
      return nodeError(ctx, Errc::kInvalidArgument, "output '{}' names '{}' twice or without an operand", out, c);
    }
  }

  std::string la = letters[0];
  if (count == 1) {
    EDGERT_ASSIGN_OR_RETURN(ValueId summed, einsumSumOut(ctx, "sum", operands[0], la, out));
    EDGERT_ASSIGN_OR_RETURN(ValueId y, einsumTranspose(ctx, "transpose", summed, la, out));
    return forward(ctx, y);
  }
  std::string lb = letters[1];
  // Letters one operand has alone and the output drops are summed out first.
  EDGERT_ASSIGN_OR_RETURN(ValueId a, einsumSumOut(ctx, "sum_a", operands[0], la, out + lb));
  EDGERT_ASSIGN_OR_RETURN(ValueId b, einsumSumOut(ctx, "sum_b", operands[1], lb, out + la));
  std::string batch, aKept, bKept, contracted;
  for (char c : out) {
    if (has(la, c) && has(lb, c)) {
      batch += c;
    } else if (has(la, c)) {
      aKept += c;
    } else {
      bKept += c;
    }
  }
  for (char c : la) {
    if (has(lb, c) && !has(out, c)) contracted += c;
  }
  auto dimsOf = [&](const std::string& s, const std::string& operandLetters, const Shape& shape, Shape& into) {
    for (char c : s) into.dims[into.rank++] = shape.dims[operandLetters.find(c)];
  };
  auto product = [&](const std::string& s) {
    std::int64_t n = 1;
    for (char c : s) n *= sizeOf[static_cast<unsigned char>(c)];
    return n;
  };
  // A: [batch, aKept, contracted] -> [batch, M, K]; B: [batch, contracted, bKept] -> [batch, K, N].
  const std::string aOrder = batch + aKept + contracted;
  const std::string bOrder = batch + contracted + bKept;
  EDGERT_ASSIGN_OR_RETURN(a, einsumTranspose(ctx, "transpose_a", a, la, aOrder));
  EDGERT_ASSIGN_OR_RETURN(b, einsumTranspose(ctx, "transpose_b", b, lb, bOrder));
  Shape a3, b3;
  dimsOf(batch, aOrder, typeOf(a).shape, a3);
  dimsOf(batch, bOrder, typeOf(b).shape, b3);
  a3.dims[a3.rank++] = product(aKept);
  a3.dims[a3.rank++] = product(contracted);
  b3.dims[b3.rank++] = product(contracted);
  b3.dims[b3.rank++] = product(bKept);
  EDGERT_ASSIGN_OR_RETURN(a, einsumReshape(ctx, "reshape_a", a, a3));
  EDGERT_ASSIGN_OR_RETURN(b, einsumReshape(ctx, "reshape_b", b, b3));
  EDGERT_ASSIGN_OR_RETURN(ValueId y, einsumStep(ctx, "matmul", OpCode::kMatMul, kernels::MatMulParams{}, {a, b}));
  // [batch, M, N] -> [batch, aKept, bKept] -> the output's order.
  Shape full;
  const Shape& ys = typeOf(y).shape;
  for (int i = 0; i < static_cast<int>(batch.size()); ++i) full.dims[full.rank++] = ys.dims[i];
  for (char c : aKept + bKept) full.dims[full.rank++] = sizeOf[static_cast<unsigned char>(c)];
  EDGERT_ASSIGN_OR_RETURN(y, einsumReshape(ctx, "reshape_y", y, full));
  EDGERT_ASSIGN_OR_RETURN(y, einsumTranspose(ctx, "transpose_y", y, batch + aKept + bKept, out));
  return forward(ctx, y);
}

}  // namespace edgert::compiler::onnx_import
