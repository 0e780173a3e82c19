// One builder method per EngineOp kind (see src/backends/onednn/spec.ts for the contract).
#include <algorithm>

#include "builder.h"

namespace optiflow {

using pk = dnnl::prop_kind;

namespace {
Dims padLeft(const Dims &d, size_t r) {
  Dims o(r - d.size(), 1);
  o.insert(o.end(), d.begin(), d.end());
  return o;
}
std::string str(const Dims &d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}
}  // namespace

void Builder::conv(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src), &dd = dims(op.dst);
  const size_t r = sd.size();
  if (r < 3 || r > 5) fail("src must be [N,C,spatial...] of rank 3..5, got " + str(sd));
  if (dd.size() != r) fail("dst rank differs from src rank");
  const size_t sp = r - 2;
  for (const auto *v : {&op.strides, &op.padsBegin, &op.padsEnd, &op.dilations})
    if (v->size() != sp) fail("strides, padsBegin, padsEnd and dilations need " + std::to_string(sp) + " values");
  const Dims &wd = op.weights.dims;
  const int64_t g = op.groups;
  if (wd.size() != r) fail("weights must be [O, C/groups, k...] of rank " + std::to_string(r) + ", got " + str(wd));
  if (g < 1 || sd[1] % g != 0 || wd[0] % g != 0 || wd[1] * g != sd[1])
    fail("groups " + std::to_string(g) + " do not fit src " + str(sd) + " and weights " + str(wd));
  if (wd[0] != dd[1]) fail("weights O = " + std::to_string(wd[0]) + " differs from dst channels");
  Dims wdn = wd;
  if (g > 1) {
    wdn = {g, wd[0] / g};
    wdn.insert(wdn.end(), wd.begin() + 1, wd.end());
  }
  Dims dil(sp);
  for (size_t i = 0; i < sp; ++i) {
    if (op.dilations[i] < 1 || op.strides[i] < 1) fail("strides and dilations must be >= 1");
    dil[i] = op.dilations[i] - 1;
  }
  // int8: u8/s8 src, s8 weights, u8/s8/f32 dst (builder-int8.cc); bias f32 in the accumulation domain.
  const dt sT = op.int8 ? tensorDt(op.src) : cdt_, wT = op.int8 ? dt::s8 : cdt_, dT = op.int8 ? tensorDt(op.dst) : actDt(op.dst);
  if (op.int8 && sT != dt::u8 && sT != dt::s8) fail("int8 conv needs a u8 or s8 src");
  // A fused depthwise conv: the primitive is the 1x1 conv (its dst dims: pd1) and dst the dw output.
  const Dims pd1 = op.dw ? dwCheck(op, sd, wd) : dd;
  md_t srcAny(sd, sT, tag::any), wAny(wdn, wT, tag::any), dstAny(pd1, dT, tag::any);
  if (op.blocked && !op.int8) {  // channels in blocks of 16 (nCw16c / nChw16c / nCdhw16c) where they divide
    const tag b16 = r == 3 ? tag::aBc16b : r == 4 ? tag::aBcd16b : tag::aBcde16b;
    if (sd[1] % 16 == 0) srcAny = md_t(sd, cdt_, b16);
    if (dd[1] % 16 == 0) dstAny = md_t(pd1, actDt(op.dst), b16);
  }
  md_t biasMd({wd[0]}, dt::f32, tag::a);
  PostOpPlan pp = planPostOps(op.postOps, pd1, {}, nullptr);
  if (op.dw) dwPostOps(op, pp, wT, dT);
  using CF = dnnl::convolution_forward;
  CF::desc d = op.bias.present
                   ? CF::desc(pk::forward_inference, dnnl::algorithm::convolution_direct, srcAny, wAny, biasMd, dstAny,
                              op.strides, dil, op.padsBegin, op.padsEnd)
                   : CF::desc(pk::forward_inference, dnnl::algorithm::convolution_direct, srcAny, wAny, dstAny,
                              op.strides, dil, op.padsBegin, op.padsEnd);
  dnnl::primitive_attr attr = attrWith(&pp);
  if (op.int8) int8Attr(op, attr, 1 << 1);
  CF::primitive_desc pd(d, attr, e_.eng_);
  if (op.winograd && !op.int8) {  // Winograd where oneDNN implements it for this shape and CPU, else direct
    try {
      using A = dnnl::algorithm;
      CF::desc dw = op.bias.present
                        ? CF::desc(pk::forward_inference, A::convolution_winograd, srcAny, wAny, biasMd, dstAny, op.strides, dil,
                                   op.padsBegin, op.padsEnd)
                        : CF::desc(pk::forward_inference, A::convolution_winograd, srcAny, wAny, dstAny, op.strides, dil,
                                   op.padsBegin, op.padsEnd);
      pd = CF::primitive_desc(dw, attrWith(&pp), e_.eng_);
    } catch (const dnnl::error &) {
    }
  }
  if (op.dw && std::string(pd.impl_info_str()).rfind("ref", 0) == 0) {  // no jit kernel fuses this pair
    dwSplit(op, srcAny, wAny, dstAny, biasMd, wdn, dT);
    return;
  }
  std::vector<std::pair<int, Ref>> args;
  args.push_back({DNNL_ARG_SRC, getAs(op.src, pd.src_desc())});
  args.push_back({DNNL_ARG_WEIGHTS, op.int8 ? constS8(op.weights, wdn, pd.weights_desc(), "weights")
                                            : constAs(op.weights, wdn, pd.weights_desc(), "weights")});
  if (op.bias.present) args.push_back({DNNL_ARG_BIAS, constAs(op.bias, {wd[0]}, pd.bias_desc(), "bias")});
  if (op.dw) dwArgs(op, pd, args);
  args.push_back({DNNL_ARG_DST, produceWithSum(op.dst, pd.dst_desc(), pp)});
  if (op.int8) int8Args(op, args);
  for (auto &b : pp.binds) args.push_back(b);
  addStep(CF(pd), pd.scratchpad_desc(), std::move(args));
  applySeparately(op.dst, pp.rest);
  if (op.plainOutput && !op.int8) settlePlain(op.dst);
}

void Builder::matmul(const OpS &op) {
  checkTensor(op.a, "a");
  checkTensor(op.dst, "dst");
  const bool bConst = op.bC.present;
  if (!bConst) checkTensor(op.b, "b");
  const Dims &dd = dims(op.dst);
  const size_t r = dd.size();
  if (r < 2) fail("dst must have rank >= 2");
  const Dims &ad0 = dims(op.a);
  const Dims &bd0 = bConst ? op.bC.dims : dims(op.b);
  if (ad0.size() > r || bd0.size() > r || ad0.size() < 2 || bd0.size() < 2) fail("a and b need rank 2..rank(dst)");
  Dims ad = padLeft(ad0, r), bd = padLeft(bd0, r);
  if (!bConst && op.bTransposed) std::swap(bd[r - 2], bd[r - 1]);
  const int64_t M = ad[r - 2], K = ad[r - 1], N = bd[r - 1];
  if (bd[r - 2] != K || dd[r - 2] != M || dd[r - 1] != N)
    fail("shapes do not multiply: a " + str(ad0) + ", b " + str(bd0) + ", dst " + str(dd));
  bool bBatchOne = true;
  for (size_t i = 0; i + 2 < r; ++i) {
    if ((ad[i] != dd[i] && ad[i] != 1) || (bd[i] != dd[i] && bd[i] != 1) || std::max(ad[i], bd[i]) != dd[i])
      fail("batch dims do not broadcast: a " + str(ad0) + ", b " + str(bd0) + ", dst " + str(dd));
    if (bd[i] != 1) bBatchOne = false;
  }
  // b without batch: fold a's batch dims into M (one large GEMM) when every binary post-op
  // operand is either per-column ([1,...,1,N|1]) or full-size.
  bool flat = r > 2 && bBatchOne;
  for (const PostOpS &p : op.postOps) {
    if (p.kind != PostOpS::Binary || p.tensor < 0 || p.tensor >= static_cast<int>(spec_.tensors.size())) continue;
    const Dims &td = dims(p.tensor);
    bool perCol = td.size() == r && std::all_of(td.begin(), td.end() - 1, [](int64_t v) { return v == 1; });
    if (!perCol && td != dd) flat = false;
  }
  const int64_t rows = product(dd) / N;
  auto squash = [&](const Dims &d) { return flat ? Dims{d[r - 2] == 1 && d != dd ? 1 : rows, d[r - 1]} : d; };
  Dims a2 = flat ? Dims{rows, K} : ad, d2 = flat ? Dims{rows, N} : dd;
  const dt aT = op.int8 ? tensorDt(op.a) : cdt_, bT = op.int8 ? dt::s8 : cdt_, dT = op.int8 ? tensorDt(op.dst) : dt::f32;
  if (op.int8 && ((aT != dt::u8 && aT != dt::s8) || !bConst)) fail("int8 matmul needs a u8 or s8 a and constant s8 b");
  md_t aMd = plainMd(a2, aT), dMd = plainMd(d2, dT);
  // dst read only by a transpose: write it with strides that make the transposed view plain
  // (attention's [B,H,S,D] -> [B,S,H,D] then costs no copy).
  int tr = -1;
  if (!flat && !op.int8 && readers_[op.dst] == 1 && lastUse_[op.dst] > opIndex_) {
    const OpS &next = spec_.ops[lastUse_[op.dst]];
    if (next.kind == "transpose" && next.src == op.dst && next.perm.size() == r) tr = lastUse_[op.dst];
  }
  if (tr >= 0) {
    const Dims &perm = spec_.ops[tr].perm;
    Dims pd(r), st(r);
    for (size_t i = 0; i < r; ++i) pd[i] = dd[perm[i]];
    Dims rm = rowMajorStrides(pd);
    for (size_t i = 0; i < r; ++i) st[perm[i]] = rm[i];
    dMd = md_t(dd, dt::f32, st);
  }
  // A transposed tensor (a strided view, see transpose()) feeds a batched matmul directly.
  const bool aView = !flat && ad0.size() == r && stridedF32(op.a);
  if (aView) aMd = cur(op.a).md;
  md_t bMd;
  Dims bView = flat ? Dims{K, N} : bd;
  if (bConst) {
    bMd = md_t(bView, bT, tag::any);
  } else {
    Dims st = rowMajorStrides(bd);
    if (op.bTransposed) {  // b is stored [..., N, K]; view it as [..., K, N]
      Dims stored = bd;
      std::swap(stored[r - 2], stored[r - 1]);
      st = rowMajorStrides(stored);
      std::swap(st[r - 2], st[r - 1]);
    }
    if (flat) st = Dims{st[r - 2], st[r - 1]};
    bMd = md_t(bView, cdt_, st);
    if (!flat && !op.bTransposed && bd0.size() == r && stridedF32(op.b)) bMd = cur(op.b).md;
  }
  Dims biasDims(flat ? 2 : r, 1);
  biasDims.back() = N;
  md_t biasMd = plainMd(biasDims, dt::f32);
  PostOpPlan pp = planPostOps(op.postOps, dd, {}, [&](int t) { return plainMd(squash(padLeft(dims(t), r)), dt::f32); });
  dnnl::matmul::desc d = op.bias.present ? dnnl::matmul::desc(aMd, bMd, biasMd, dMd) : dnnl::matmul::desc(aMd, bMd, dMd);
  dnnl::primitive_attr attr = attrWith(&pp);
  if (op.int8) int8Attr(op, attr, 1 << (static_cast<int>(d2.size()) - 1));
  dnnl::matmul::primitive_desc pd(d, attr, e_.eng_);
  std::vector<std::pair<int, Ref>> args;
  Ref a = aView ? cur(op.a) : getAs(op.a, plainOf(op.a, aT));
  args.push_back({DNNL_ARG_SRC, Ref{a.slot, aMd, {}}});
  if (bConst) {
    args.push_back({DNNL_ARG_WEIGHTS, op.int8 ? constS8(op.bC, bView, pd.weights_desc(), "b") : constAs(op.bC, bView, pd.weights_desc(), "b")});
  } else {
    Ref b = bMd == cur(op.b).md ? cur(op.b) : getAs(op.b, plainOf(op.b, cdt_));
    args.push_back({DNNL_ARG_WEIGHTS, Ref{b.slot, bMd, {}}});
  }
  if (op.bias.present) args.push_back({DNNL_ARG_BIAS, constAs(op.bias, biasDims, biasMd, "bias")});
  Ref dst = produceWithSum(op.dst, tr >= 0 ? dMd : plainOf(op.dst, dT), pp);
  args.push_back({DNNL_ARG_DST, Ref{dst.slot, dMd, {}}});
  if (op.int8) int8Args(op, args);
  for (auto &b : pp.binds) args.push_back(b);
  addStep(dnnl::matmul(pd), pd.scratchpad_desc(), std::move(args));
  applySeparately(op.dst, pp.rest);
}

bool Builder::stridedF32(int t) const {
  if (cdt_ != dt::f32 || !ts_[t].ready || ts_[t].md.data_type() != dt::f32) return false;
  const dnnl_memory_desc_t &d = ts_[t].md.data;
  return d.format_kind == dnnl_blocked && d.format_desc.blocking.inner_nblks == 0;
}

void Builder::pool(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src), &dd = dims(op.dst);
  if (sd.size() < 3 || sd.size() > 5 || dd.size() != sd.size()) fail("src and dst must be [N,C,spatial...] of rank 3..5");
  const size_t sp = sd.size() - 2;
  for (const auto *v : {&op.kernel, &op.strides, &op.padsBegin, &op.padsEnd})
    if (v->size() != sp) fail("kernel, strides, padsBegin and padsEnd need " + std::to_string(sp) + " values");
  dnnl::algorithm alg;
  if (op.alg == "max") alg = dnnl::algorithm::pooling_max;
  else if (op.alg == "avg_include") alg = dnnl::algorithm::pooling_avg_include_padding;
  else if (op.alg == "avg_exclude") alg = dnnl::algorithm::pooling_avg_exclude_padding;
  else fail("unknown pool alg '" + op.alg + "'");
  Ref s = cur(op.src);
  using PF = dnnl::pooling_v2_forward;
  PF::primitive_desc pd(PF::desc(pk::forward_inference, alg, s.md, md_t(dd, s.md.data_type(), tag::any), op.strides, op.kernel,
                                 Dims(sp, 0), op.padsBegin, op.padsEnd),
                        attrWith(nullptr), e_.eng_);
  Ref dst = produce(op.dst, pd.dst_desc());
  addStep(PF(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, dst}});
}

void Builder::eltwise(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  if (dims(op.src) != dims(op.dst)) fail("src and dst dims differ");
  std::vector<Elt> algs = eltwiseAlgs(op.alg, op.alpha, op.beta);
  Ref s = cur(op.src);
  Ref d;
  for (size_t i = 0; i < algs.size(); ++i) {
    using EF = dnnl::eltwise_forward;
    EF::primitive_desc pd(EF::desc(pk::forward_inference, algs[i].alg, s.md, algs[i].alpha, algs[i].beta),
                          attrWith(nullptr), e_.eng_);
    if (i == 0) d = produce(op.dst, pd.dst_desc());
    addStep(EF(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC, i == 0 ? s : d}, {DNNL_ARG_DST, d}});
  }
}

void Builder::softmax(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  if (dims(op.src) != dims(op.dst)) fail("src and dst dims differ");
  if (op.axis < 0 || op.axis >= static_cast<int64_t>(dims(op.src).size())) fail("axis out of range");
  Ref s = getAs(op.src, plainOf(op.src, dt::f32));
  dnnl::primitive p;
  md_t scratch;
  if (op.log) {
    using LF = dnnl::logsoftmax_forward;
    LF::primitive_desc pd(LF::desc(pk::forward_inference, s.md, static_cast<int>(op.axis)), attrWith(nullptr), e_.eng_);
    p = LF(pd);
    scratch = pd.scratchpad_desc();
  } else {
    using SF = dnnl::softmax_forward;
    SF::primitive_desc pd(SF::desc(pk::forward_inference, s.md, static_cast<int>(op.axis)), attrWith(nullptr), e_.eng_);
    p = SF(pd);
    scratch = pd.scratchpad_desc();
  }
  Ref d = produce(op.dst, s.md);
  addStep(p, scratch, {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}});
}

void Builder::layernorm(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src);
  if (sd != dims(op.dst) || sd.size() < 2) fail("src and dst must have equal dims of rank >= 2");
  const int64_t C = sd.back();
  Ref s = getAs(op.src, plainOf(op.src, dt::f32));
  using LN = dnnl::layer_normalization_forward;
  LN::primitive_desc pd(LN::desc(pk::forward_inference, s.md, op.epsilon,
                                 dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift),
                        attrWith(nullptr), e_.eng_);
  Ref d = produce(op.dst, s.md);
  std::vector<std::pair<int, Ref>> args = {{DNNL_ARG_SRC, s},
                                           {DNNL_ARG_DST, d},
                                           {DNNL_ARG_SCALE, constMem(op.scale, {C}, "scale")},
                                           {DNNL_ARG_SHIFT, constMem(op.shift, {C}, "shift")}};
  if (pd.mean_desc().get_size() > 0) {
    args.push_back({DNNL_ARG_MEAN, tempSlot(pd.mean_desc())});
    args.push_back({DNNL_ARG_VARIANCE, tempSlot(pd.variance_desc())});
  }
  addStep(LN(pd), pd.scratchpad_desc(), std::move(args));
  applySeparately(op.dst, op.postOps);
}

void Builder::batchnorm(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src);
  if (sd != dims(op.dst) || sd.size() < 2) fail("src and dst must have equal dims of rank >= 2");
  const int64_t C = sd[1];
  using NF = dnnl::normalization_flags;
  NF flags = NF::use_global_stats | NF::use_scale | NF::use_shift;
  std::vector<PostOpS> rest = op.postOps;
  if (!rest.empty() && rest[0].kind == PostOpS::Eltwise && rest[0].alg == "relu" && rest[0].alpha == 0.f) {
    flags = flags | NF::fuse_norm_relu;
    rest.erase(rest.begin());
  }
  Ref s = cur(op.src);
  using BN = dnnl::batch_normalization_forward;
  BN::primitive_desc pd(BN::desc(pk::forward_inference, s.md, op.epsilon, flags), attrWith(nullptr), e_.eng_);
  Ref d = produce(op.dst, pd.dst_desc());
  std::vector<std::pair<int, Ref>> args = {{DNNL_ARG_SRC, s},
                                           {DNNL_ARG_DST, d},
                                           {DNNL_ARG_MEAN, constMem(op.mean, {C}, "mean")},
                                           {DNNL_ARG_VARIANCE, constMem(op.variance, {C}, "variance")},
                                           {DNNL_ARG_SCALE, constMem(op.scale, {C}, "scale")},
                                           {DNNL_ARG_SHIFT, constMem(op.shift, {C}, "shift")}};
  if (pd.workspace_desc().get_size() > 0) args.push_back({DNNL_ARG_WORKSPACE, tempSlot(pd.workspace_desc())});
  addStep(BN(pd), pd.scratchpad_desc(), std::move(args));
  applySeparately(op.dst, rest);
}

void Builder::concat(const OpS &op) {
  checkTensor(op.dst, "dst");
  if (op.srcs.empty()) fail("srcs is empty");
  const Dims &dd = dims(op.dst);
  if (op.axis < 0 || op.axis >= static_cast<int64_t>(dd.size())) fail("axis out of range");
  int64_t sum = 0;
  std::vector<Ref> srcs;
  for (size_t i = 0; i < op.srcs.size(); ++i) {
    checkTensor(op.srcs[i], "srcs[]");
    const Dims &sd = dims(op.srcs[i]);
    if (sd.size() != dd.size()) fail("srcs[" + std::to_string(i) + "] rank differs from dst rank");
    for (size_t k = 0; k < sd.size(); ++k)
      if (static_cast<int64_t>(k) != op.axis && sd[k] != dd[k]) fail("srcs[" + std::to_string(i) + "] dims do not match dst off the axis");
    sum += sd[op.axis];
    srcs.push_back(cur(op.srcs[i]));
  }
  if (sum != dd[op.axis]) fail("srcs sizes along the axis do not add up to dst's");
  auto make = [&](bool plain) {
    std::vector<md_t> mds;
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (plain) srcs[i] = getAs(op.srcs[i], plainOf(op.srcs[i]));
      mds.push_back(srcs[i].md);
    }
    return dnnl::concat::primitive_desc(static_cast<int>(op.axis), mds, e_.eng_, attrWith(nullptr));
  };
  dnnl::concat::primitive_desc pd;
  try {
    pd = make(false);
  } catch (const dnnl::error &) {
    pd = make(true);
  }
  std::vector<std::pair<int, Ref>> args;
  for (size_t i = 0; i < srcs.size(); ++i) args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]});
  args.push_back({DNNL_ARG_DST, produce(op.dst, pd.dst_desc())});
  addStep(dnnl::concat(pd), pd.scratchpad_desc(), std::move(args));
}

void Builder::transpose(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src), &dd = dims(op.dst);
  const size_t r = sd.size();
  if (op.perm.size() != r || dd.size() != r) fail("perm and dst need rank " + std::to_string(r));
  std::vector<bool> seen(r, false);
  for (size_t i = 0; i < r; ++i) {
    int64_t p = op.perm[i];
    if (p < 0 || p >= static_cast<int64_t>(r) || seen[p]) fail("perm " + str(op.perm) + " is not a permutation");
    seen[p] = true;
    if (dd[i] != sd[p]) fail("dst dims " + str(dd) + " are not src dims permuted by " + str(op.perm));
  }
  if (tensorDt(op.src) != tensorDt(op.dst)) fail("src and dst dtypes differ");
  // Permute src's current strides (plain, or a strided layout a matmul chose for this transpose).
  Ref s = stridedF32(op.src) && !sd.empty() ? cur(op.src) : getAs(op.src, plainOf(op.src));
  Dims st = rowMajorStrides(sd), vst(r);
  if (!sd.empty()) st.assign(s.md.data.format_desc.blocking.strides, s.md.data.format_desc.blocking.strides + r);
  for (size_t i = 0; i < r; ++i) vst[i] = st[op.perm[i]];
  Ref view{s.slot, md_t(dd.empty() ? Dims{1} : dd, tensorDt(op.src), dd.empty() ? Dims{1} : vst), {}};
  if (ts_[op.dst].ready) fail("tensor " + std::to_string(op.dst) + " is written twice");
  // dst is a view of src's bytes with permuted strides: a matmul reads it as is (no copy);
  // any other reader gets a reorder into plain layout when it first needs one (getAs).
  if (!dd.empty()) {
    ts_[op.dst] = TState{true, s.slot, view.md};
    return;
  }
  addReorder(view, produce(op.dst, plainOf(op.dst)));
}

void Builder::reshape(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  if (product(dims(op.src)) != product(dims(op.dst))) fail("src and dst element counts differ");
  if (tensorDt(op.src) != tensorDt(op.dst)) fail("src and dst dtypes differ");
  if (ts_[op.dst].ready) fail("tensor " + std::to_string(op.dst) + " is written twice");
  Ref s = getAs(op.src, plainOf(op.src));
  ts_[op.dst] = TState{true, s.slot, plainOf(op.dst)};  // a view of the same bytes
}

void Builder::reduce(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src), &dd = dims(op.dst);
  if (sd.size() != dd.size()) fail("dst must keep src's rank (reduced dims as 1)");
  for (size_t k = 0; k < sd.size(); ++k)
    if (dd[k] != sd[k] && dd[k] != 1) fail("dst dims " + str(dd) + " are not src dims " + str(sd) + " with reduced dims 1");
  dnnl::algorithm alg;
  if (op.alg == "sum") alg = dnnl::algorithm::reduction_sum;
  else if (op.alg == "mean") alg = dnnl::algorithm::reduction_mean;
  else if (op.alg == "max") alg = dnnl::algorithm::reduction_max;
  else if (op.alg == "min") alg = dnnl::algorithm::reduction_min;
  else fail("unknown reduce alg '" + op.alg + "'");
  Ref s = getAs(op.src, plainOf(op.src, dt::f32));
  Ref d = produce(op.dst, plainOf(op.dst, dt::f32));
  dnnl::reduction::primitive_desc pd(dnnl::reduction::desc(alg, s.md, d.md, 0.f, 0.f), attrWith(nullptr), e_.eng_);
  addStep(dnnl::reduction(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC, s}, {DNNL_ARG_DST, d}});
}

}  // namespace optiflow
