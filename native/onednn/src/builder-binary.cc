// The binary op: numpy broadcasting on top of oneDNN's binary primitive, whose src0 must have
// dst's dims (only src1 broadcasts). Also the depthwise fusion of a conv (its post-op half).
#include "builder.h"

namespace optiflow {

void Builder::binary(const OpS &op) {
  checkTensor(op.dst, "dst");
  const bool aC = op.aC.present, bC = op.bC.present;
  if (!aC) checkTensor(op.a, "a");
  if (!bC) checkTensor(op.b, "b");
  const Dims &dd = dims(op.dst);
  const Dims ad = aC ? op.aC.dims : dims(op.a), bd = bC ? op.bC.dims : dims(op.b);
  if (ad.size() != dd.size() || bd.size() != dd.size()) fail("a, b and dst must have equal ranks");
  for (size_t k = 0; k < dd.size(); ++k) {
    if ((ad[k] != dd[k] && ad[k] != 1) || (bd[k] != dd[k] && bd[k] != 1) || std::max(ad[k], bd[k]) != dd[k])
      fail("a and b dims do not broadcast to dst dims");
  }
  dnnl::algorithm alg = binaryAlg(op.alg);
  const bool commutative = op.alg == "add" || op.alg == "mul" || op.alg == "max" || op.alg == "min";

  // Operand refs in plain layout (constants become constant memories).
  auto plainRef = [&](bool isConst, const ConstS &c, int t, const Dims &d, const char *f) {
    return isConst ? constMem(c, d, f) : cur(t);
  };
  // Expands a constant over dst dims on the host (numpy broadcasting).
  auto expand = [&](const ConstS &c, const Dims &d) {
    ConstS o;
    o.present = true;
    o.dims = dd;
    o.data.resize(static_cast<size_t>(product(dd)));
    Dims st = rowMajorStrides(d), dst = rowMajorStrides(dd);
    for (size_t i = 0; i < o.data.size(); ++i) {
      int64_t rem = static_cast<int64_t>(i), src = 0;
      for (size_t k = 0; k < dd.size(); ++k) {
        int64_t idx = rem / dst[k];
        rem %= dst[k];
        if (d[k] != 1) src += idx * st[k];
      }
      o.data[i] = c.data[static_cast<size_t>(src)];
    }
    return o;
  };
  if (aC && static_cast<int64_t>(op.aC.data.size()) != product(ad)) fail("a has the wrong number of elements");
  if (bC && static_cast<int64_t>(op.bC.data.size()) != product(bd)) fail("b has the wrong number of elements");

  std::vector<Elt> prefix;
  Ref s0, s1;
  bool s1Full = false;
  int s1Tensor = -1;
  const ConstS *s1Const = nullptr;
  Dims s1Dims;
  auto setS1 = [&](bool isConst, const ConstS &c, int t, const Dims &d) {
    s1Full = d == dd;
    s1Tensor = isConst ? -1 : t;
    s1Const = isConst ? &c : nullptr;
    s1Dims = d;
  };
  if (ad == dd) {
    s0 = plainRef(aC, op.aC, op.a, ad, "a");
    setS1(bC, op.bC, op.b, bd);
  } else if (bd == dd && commutative) {
    s0 = plainRef(bC, op.bC, op.b, bd, "b");
    setS1(aC, op.aC, op.a, ad);
  } else if (bd == dd && op.alg == "sub") {  // a - b = -(b - a)
    s0 = plainRef(bC, op.bC, op.b, bd, "b");
    setS1(aC, op.aC, op.a, ad);
    prefix.push_back(Elt{dnnl::algorithm::eltwise_linear, -1.f, 0.f});
  } else if (aC) {  // a broadcast constant: expand it on the host
    ConstS full = expand(op.aC, ad);
    s0 = constMem(full, dd, "a");
    setS1(bC, op.bC, op.b, bd);
  } else {
    // a is a broadcast tensor: s0 = zeros(dst) + a, then s0 (op) b.
    ConstS zeros;
    zeros.present = true;
    zeros.dims = dd;
    zeros.data.assign(static_cast<size_t>(product(dd)), 0.f);
    Ref z = constMem(zeros, dd, "zeros");
    Ref a = getAs(op.a, plainOf(op.a, dt::f32));
    Ref t = tempSlot(z.md);
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, z.md, a.md, t.md), attrWith(nullptr),
                                    e_.eng_);
    addStep(dnnl::binary(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC_0, z}, {DNNL_ARG_SRC_1, a}, {DNNL_ARG_DST, t}});
    s0 = t;
    setS1(bC, op.bC, op.b, bd);
  }
  Ref r1;
  if (s1Const != nullptr) r1 = s1Full ? constAs(*s1Const, s1Dims, s0.md, "b") : constMem(*s1Const, s1Dims, "b");
  else r1 = s1Full ? getAs(s1Tensor, s0.md) : getAs(s1Tensor, plainOf(s1Tensor, dt::f32));
  PostOpPlan pp = planPostOps(op.postOps, dd, prefix, nullptr);
  dnnl::primitive_attr attr = attrWith(&pp);
  if (!op.srcScales.empty()) {  // int8 operands (builder-int8.cc's contract): both full-size, same dtype, not swapped
    if (aC || bC || ad != dd || bd != dd || tensorDt(op.a) != tensorDt(op.b) || tensorDt(op.a) != tensorDt(op.dst))
      fail("srcScales need two full-size tensors of the dst's dtype");
    attr.set_scales(DNNL_ARG_SRC_0, 0, {op.srcScales[0]});
    attr.set_scales(DNNL_ARG_SRC_1, 0, {op.srcScales[1]});
  }
  dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, s0.md, r1.md, s0.md), attr, e_.eng_);
  Ref d = produceWithSum(op.dst, pd.dst_desc(), pp);
  std::vector<std::pair<int, Ref>> args = {{DNNL_ARG_SRC_0, s0}, {DNNL_ARG_SRC_1, r1}, {DNNL_ARG_DST, d}};
  for (auto &b : pp.binds) args.push_back(b);
  addStep(dnnl::binary(pd), pd.scratchpad_desc(), std::move(args));
  applySeparately(op.dst, pp.rest);
}

}  // namespace optiflow

// --- Depthwise fusion of a convolution (spec.ts `conv.depthwise`) --------------------------------
// oneDNN 2.6's depthwise post-op: a 1x1 convolution (stride 1, no padding) followed by a
// depthwise 3x3 convolution (stride 1 or 2, padding 1) in one primitive, the 1x1 output kept in
// per-thread rows of the cache instead of memory. Post-ops before the depthwise one apply to the
// 1x1 output, those after it to the depthwise output.
namespace optiflow {

Dims Builder::dwCheck(const OpS &op, const Dims &sd, const Dims &wd) const {
  if (op.int8) fail("depthwise fusion needs an f32 (or bf16) conv");
  if (sd.size() != 4) fail("depthwise fusion needs a 2-D conv");
  const int64_t O = wd[0];
  bool pw = op.groups == 1 && wd[2] == 1 && wd[3] == 1;
  for (size_t i = 0; i < 2; ++i)
    pw = pw && op.strides[i] == 1 && op.padsBegin[i] == 0 && op.padsEnd[i] == 0 && op.dilations[i] == 1;
  if (!pw) fail("depthwise fusion needs a 1x1 conv with stride 1, no padding, one group");
  const int64_t s = op.dwStride;
  if (s != 1 && s != 2) fail("depthwise.stride must be 1 or 2");
  if (op.dwWeights.dims != Dims{O, 1, 3, 3}) fail("depthwise.weights must be [" + std::to_string(O) + ",1,3,3]");
  if (op.dwBias.present && op.dwBias.dims != Dims{O}) fail("depthwise.bias must be [" + std::to_string(O) + "]");
  const Dims want{sd[0], O, (sd[2] + s - 1) / s, (sd[3] + s - 1) / s};
  if (dims(op.dst) != want) fail("dst dims must be the depthwise output [N, O, ceil(H/stride), ceil(W/stride)]");
  for (const auto *v : {&op.postOps, &op.dwPostOps})
    for (const PostOpS &p : *v)
      if (p.kind != PostOpS::Eltwise) fail("depthwise fusion allows only eltwise post-ops");
  return {sd[0], O, sd[2], sd[3]};
}

void Builder::dwPostOps(const OpS &op, PostOpPlan &pp, dt wT, dt dT) {
  if (!pp.rest.empty()) fail("depthwise fusion: the 1x1 conv's post-ops do not fit one primitive");
  pp.ops.append_dw(wT, dt::f32, dT, 3, op.dwStride, 1, 0, {});
  for (const PostOpS &p : op.dwPostOps)
    for (const Elt &e : eltwiseAlgs(p.alg, p.alpha, p.beta)) pp.ops.append_eltwise(1.f, e.alg, e.alpha, e.beta);
}

void Builder::dwArgs(const OpS &op, const dnnl::convolution_forward::primitive_desc &pd, std::vector<std::pair<int, Ref>> &args) {
  const int64_t O = op.dwWeights.dims[0];
  const int wArg = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, bArg = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS;
  args.push_back({wArg, constAs(op.dwWeights, {O, 1, 1, 3, 3}, pd.query_md(dnnl::query::exec_arg_md, wArg), "depthwise.weights")});
  ConstS zeros;
  if (!op.dwBias.present) {
    zeros.present = true;
    zeros.dims = {O};
    zeros.data.assign(static_cast<size_t>(O), 0.f);
  }
  args.push_back({bArg, constAs(op.dwBias.present ? op.dwBias : zeros, {O}, pd.query_md(dnnl::query::exec_arg_md, bArg), "depthwise.bias")});
}

void Builder::dwSplit(const OpS &op, const md_t &srcAny, const md_t &wAny, const md_t &pwDstAny, const md_t &biasMd, const Dims &wdn,
                      dt dT) {
  using CF = dnnl::convolution_forward;
  using A = dnnl::algorithm;
  const auto inf = dnnl::prop_kind::forward_inference;
  const Dims &pwd = pwDstAny.dims(), &dd = dims(op.dst);
  // 1x1 conv with its own post-ops into an engine buffer
  PostOpPlan pp1 = planPostOps(op.postOps, pwd, {}, nullptr);
  const Dims one{1, 1}, zero{0, 0};
  CF::desc d1 = op.bias.present ? CF::desc(inf, A::convolution_direct, srcAny, wAny, biasMd, pwDstAny, one, zero, zero, zero)
                                : CF::desc(inf, A::convolution_direct, srcAny, wAny, pwDstAny, one, zero, zero, zero);
  CF::primitive_desc pd1(d1, attrWith(&pp1), e_.eng_);
  Ref mid = tempSlot(pd1.dst_desc());
  std::vector<std::pair<int, Ref>> a1{{DNNL_ARG_SRC, getAs(op.src, pd1.src_desc())},
                                      {DNNL_ARG_WEIGHTS, constAs(op.weights, wdn, pd1.weights_desc(), "weights")},
                                      {DNNL_ARG_DST, mid}};
  if (op.bias.present) a1.push_back({DNNL_ARG_BIAS, constAs(op.bias, {wdn[0]}, pd1.bias_desc(), "bias")});
  addStep(CF(pd1), pd1.scratchpad_desc(), std::move(a1));
  // depthwise 3x3, padding 1 at the start, the end padding that gives ceil(H/stride)
  const int64_t O = pwd[1], s = op.dwStride;
  const Dims strides{s, s}, padL{1, 1}, padR{(dd[2] - 1) * s + 3 - pwd[2] - 1, (dd[3] - 1) * s + 3 - pwd[3] - 1};
  const md_t dstAny(dd, dT, op.blocked && O % 16 == 0 ? tag::aBcd16b : tag::any);
  PostOpPlan pp2 = planPostOps(op.dwPostOps, dd, {}, nullptr);
  md_t w2(Dims{O, 1, 1, 3, 3}, wAny.data_type(), tag::any), b2({O}, dt::f32, tag::a);
  CF::primitive_desc pd2(CF::desc(inf, A::convolution_direct, pd1.dst_desc(), w2, b2, dstAny, strides, zero, padL, padR), attrWith(&pp2), e_.eng_);
  ConstS zeros;
  if (!op.dwBias.present) {
    zeros.present = true;
    zeros.dims = {O};
    zeros.data.assign(static_cast<size_t>(O), 0.f);
  }
  std::vector<std::pair<int, Ref>> a2{{DNNL_ARG_SRC, mid},
                                      {DNNL_ARG_WEIGHTS, constAs(op.dwWeights, {O, 1, 1, 3, 3}, pd2.weights_desc(), "depthwise.weights")},
                                      {DNNL_ARG_BIAS, constAs(op.dwBias.present ? op.dwBias : zeros, {O}, pd2.bias_desc(), "depthwise.bias")},
                                      {DNNL_ARG_DST, produce(op.dst, pd2.dst_desc())}};
  addStep(CF(pd2), pd2.scratchpad_desc(), std::move(a2));
  applySeparately(op.dst, pp2.rest);
}

}  // namespace optiflow
