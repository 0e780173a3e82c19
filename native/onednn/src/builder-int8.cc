// int8 execution (src/backends/onednn/spec.ts: quantize, dequantize, conv/matmul with
// outputScales). oneDNN 2.6 semantics (developer guide, "Quantization" and "Primitive
// attributes: zero points"): an int8 conv/matmul computes
//   dst = saturate(round(post_ops(output_scale[c] * (sum((src - zp_src) * wei) + bias)) + zp_dst))
// with bias in the accumulation domain (before the output scales) and round half to even; a
// reorder computes dst = saturate(round(scale * (src - zp_src) + zp_dst)).
#include "builder.h"

#include <cmath>
#include <cstring>

namespace optiflow {

Ref Builder::s32Scalar(int32_t v) {
  md_t md({1}, dt::s32, tag::a);
  dnnl::memory m(md, e_.eng_);
  std::memcpy(m.get_data_handle(), &v, sizeof v);
  e_.nativeBytes_ += md.get_size();
  return Ref{-1, md, m};
}

Ref Builder::constS8(const ConstS &c, const Dims &d, const md_t &want, const char *field) {
  if (!c.present) fail(std::string(field) + " is missing");
  if (product(d) != static_cast<int64_t>(c.data.size()))
    fail(std::string(field) + " has " + std::to_string(c.data.size()) + " elements, expected " + std::to_string(product(d)));
  md_t md = plainMd(d, dt::s8);
  dnnl::memory m(md, e_.eng_);
  auto *p = static_cast<int8_t *>(m.get_data_handle());
  for (size_t i = 0; i < c.data.size(); ++i) {
    float v = c.data[i];
    if (!(v >= -128.f && v <= 127.f) || std::nearbyint(v) != v)
      fail(std::string(field) + "[" + std::to_string(i) + "] = " + std::to_string(v) + " is not an int8 value");
    p[i] = static_cast<int8_t>(v);
  }
  if (md == want) {
    e_.nativeBytes_ += md.get_size();
    return Ref{-1, md, m};
  }
  dnnl::memory w(want, e_.eng_);
  dnnl::reorder(m, w).execute(strm_, m, w);
  strm_.wait();
  e_.nativeBytes_ += want.get_size();
  return Ref{-1, want, w};
}

void Builder::int8Attr(const OpS &op, dnnl::primitive_attr &a, int scaleMask) const {
  a.set_output_scales(op.outScales.size() == 1 ? 0 : scaleMask, op.outScales);
  if (op.srcZp != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (op.dstZp != 0) a.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
}

void Builder::int8Args(const OpS &op, std::vector<std::pair<int, Ref>> &args) {
  if (op.srcZp != 0) args.push_back({DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, s32Scalar(op.srcZp)});
  if (op.dstZp != 0) args.push_back({DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, s32Scalar(op.dstZp)});
}

namespace {
// `m`'s layout with another data type (plain or blocked activations; no extra flags).
md_t withType(const md_t &m, dt t) {
  dnnl_memory_desc_t d = m.data;
  if (d.format_kind != dnnl_blocked) return md_t();
  d.data_type = static_cast<dnnl_data_type_t>(t);
  d.extra = dnnl_memory_extra_desc_t{};
  return md_t(d);
}
}  // namespace

void Builder::quantize(const OpS &op) {
  checkTensor(op.src, "src");
  checkTensor(op.dst, "dst");
  const Dims &sd = dims(op.src);
  if (sd != dims(op.dst)) fail("src and dst dims differ");
  const bool q = op.kind == "quantize";
  const dt st = tensorDt(op.src), dtt = tensorDt(op.dst);
  const bool q8s = st == dt::u8 || st == dt::s8, q8d = dtt == dt::u8 || dtt == dt::s8;
  if (q ? (st != dt::f32 || !q8d) : (!q8s || dtt != dt::f32))
    fail(q ? "quantize reads f32 and writes u8 or s8" : "dequantize reads u8 or s8 and writes f32");
  int mask = 0;
  if (op.scales.size() > 1) {
    if (op.axis < 0 || op.axis >= static_cast<int64_t>(sd.size()) || sd[op.axis] != static_cast<int64_t>(op.scales.size()))
      fail("per-axis scales need axis in 0..rank-1 with dims[axis] = " + std::to_string(op.scales.size()) + " scales");
    mask = 1 << op.axis;
  }
  std::vector<float> sc = op.scales;
  if (q)
    for (float &v : sc) v = 1.f / v;  // y = x / scale + zp
  dnnl::primitive_attr a = attrWith(nullptr);
  a.set_output_scales(mask, sc);
  if (op.zeroPoint != 0) a.set_zero_points(q ? DNNL_ARG_DST : DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  Ref s = cur(op.src);
  md_t dmd = withType(s.md, dtt);
  if (!dmd) dmd = plainOf(op.dst);  // same layout as src (NHWC stays NHWC)
  Ref d = produce(op.dst, dmd);
  dnnl::reorder::primitive_desc pd(e_.eng_, s.md, e_.eng_, d.md, a);
  std::vector<std::pair<int, Ref>> args = {{DNNL_ARG_FROM, s}, {DNNL_ARG_TO, d}};
  if (op.zeroPoint != 0) args.push_back({DNNL_ARG_ATTR_ZERO_POINTS | (q ? DNNL_ARG_DST : DNNL_ARG_SRC), s32Scalar(op.zeroPoint)});
  addStep(dnnl::reorder(pd), pd.scratchpad_desc(), std::move(args));
}

}  // namespace optiflow
