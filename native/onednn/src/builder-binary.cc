// The binary op: numpy broadcasting on top of oneDNN's binary primitive, whose src0 must have
// dst's dims (only src1 broadcasts).
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
