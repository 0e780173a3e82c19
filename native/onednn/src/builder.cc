// Builder helpers, the build loop, and Engine::execute.
#include "builder.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace optiflow {

int64_t product(const Dims &d) {
  int64_t p = 1;
  for (int64_t v : d) p *= v;
  return p;
}

Dims rowMajorStrides(const Dims &d) {
  Dims s(d.size(), 1);
  for (size_t i = d.size(); i-- > 1;) s[i - 1] = s[i] * d[i];
  return s;
}

md_t plainMd(const Dims &dims, dt t) {
  Dims d = dims.empty() ? Dims{1} : dims;
  return md_t(d, t, rowMajorStrides(d));
}

std::vector<Elt> eltwiseAlgs(const std::string &n, float al, float be) {
  using A = dnnl::algorithm;
  if (n == "relu") return {{A::eltwise_relu, al, 0.f}};
  if (n == "clip") return {{A::eltwise_clip, al, be}};
  if (n == "logistic") return {{A::eltwise_logistic, 0.f, 0.f}};
  if (n == "tanh") return {{A::eltwise_tanh, 0.f, 0.f}};
  if (n == "gelu_erf") return {{A::eltwise_gelu_erf, 0.f, 0.f}};
  if (n == "gelu_tanh") return {{A::eltwise_gelu_tanh, 0.f, 0.f}};
  if (n == "elu") return {{A::eltwise_elu, al, 0.f}};
  if (n == "exp") return {{A::eltwise_exp, 0.f, 0.f}};
  if (n == "log") return {{A::eltwise_log, 0.f, 0.f}};
  if (n == "sqrt") return {{A::eltwise_sqrt, 0.f, 0.f}};
  if (n == "abs") return {{A::eltwise_abs, 0.f, 0.f}};
  if (n == "square") return {{A::eltwise_square, 0.f, 0.f}};
  if (n == "soft_relu") return {{A::eltwise_soft_relu, 0.f, 0.f}};
  if (n == "hardswish") return {{A::eltwise_hardswish, 0.f, 0.f}};
  // oneDNN 2.6 has no hardsigmoid: max(0, min(1, alpha*x + beta)) = clip(linear(x), 0, 1).
  if (n == "hardsigmoid") return {{A::eltwise_linear, al, be}, {A::eltwise_clip, 0.f, 1.f}};
  if (n == "linear") return {{A::eltwise_linear, al, be}};
  if (n == "pow") return {{A::eltwise_pow, al, be}};
  if (n == "round") return {{A::eltwise_round, 0.f, 0.f}};  // int8 residual fold: round half to even
  throw SpecError("unknown eltwise alg '" + n + "'");
}

dnnl::algorithm binaryAlg(const std::string &n) {
  using A = dnnl::algorithm;
  if (n == "add") return A::binary_add;
  if (n == "mul") return A::binary_mul;
  if (n == "sub") return A::binary_sub;
  if (n == "div") return A::binary_div;
  if (n == "max") return A::binary_max;
  if (n == "min") return A::binary_min;
  throw SpecError("unknown binary alg '" + n + "'");
}

Builder::Builder(const SpecS &s, Engine &e) : spec_(s), e_(e), strm_(e.eng_) {
  cdt_ = s.bf16 ? dt::bf16 : dt::f32;
}

void Builder::fail(const std::string &msg) const {
  if (opIndex_ < 0) throw SpecError(msg);
  throw SpecError("op " + std::to_string(opIndex_) + " (" + opKind_ + "): " + msg);
}

const Dims &Builder::dims(int t) const { return spec_.tensors[t].dims; }
dt Builder::tensorDt(int t) const {
  const TensorS &x = spec_.tensors[t];
  return x.q8 == 1 ? dt::u8 : x.q8 == 2 ? dt::s8 : x.s32 ? dt::s32 : dt::f32;
}

void Builder::checkTensor(int t, const char *field) const {
  if (t < 0 || t >= static_cast<int>(spec_.tensors.size()))
    fail(std::string(field) + " = " + std::to_string(t) + " is not a tensor index (0.." +
         std::to_string(spec_.tensors.size()) + ")");
}

int Builder::newSlot(size_t bytes) {
  e_.slots_.push_back(Slot{Slot::Internal, 0, bytes});
  return static_cast<int>(e_.slots_.size()) - 1;
}

Ref Builder::cur(int t) {
  if (!ts_[t].ready) fail("tensor " + std::to_string(t) + " is read before any op produces it");
  return Ref{ts_[t].slot, ts_[t].md, {}};
}

Ref Builder::getAs(int t, const md_t &want) {
  Ref c = cur(t);
  if (c.md == want) return c;
  for (const Conv &cv : convs_)
    if (cv.tensor == t && cv.md == want) return Ref{cv.slot, want, {}};
  Ref to{newSlot(want.get_size()), want, {}};
  addReorder(c, to);
  convs_.push_back(Conv{t, want, to.slot});
  return to;
}

Ref Builder::produce(int t, const md_t &md) {
  if (ts_[t].ready) fail("tensor " + std::to_string(t) + " is written twice (an input or an earlier op's output)");
  int slot = -1;
  if (md == plainOf(t)) {
    for (size_t j = 0; j < spec_.outputs.size(); ++j) {
      if (spec_.outputs[j] == t && !outClaimed_[j]) {
        outClaimed_[j] = true;
        slot = static_cast<int>(spec_.inputs.size() + j);
        break;
      }
    }
  }
  if (slot < 0) slot = newSlot(md.get_size());
  ts_[t] = TState{true, slot, md};
  return Ref{slot, md, {}};
}

void Builder::settlePlain(int t) {
  const Ref c = cur(t);
  const md_t want = plainOf(t);
  if (c.md == want) return;
  Ref to{newSlot(want.get_size()), want, {}};
  addReorder(c, to);
  ts_[t] = TState{true, to.slot, want};
}

Ref Builder::tempSlot(const md_t &md) { return Ref{newSlot(md.get_size()), md, {}}; }

Ref Builder::constMem(const ConstS &c, const Dims &d, const char *field) {
  if (!c.present) fail(std::string(field) + " is missing");
  if (product(d) != static_cast<int64_t>(c.data.size()))
    fail(std::string(field) + " has " + std::to_string(c.data.size()) + " elements, expected " +
         std::to_string(product(d)));
  md_t md = plainMd(d, dt::f32);
  dnnl::memory m(md, e_.eng_);
  std::memcpy(m.get_data_handle(), c.data.data(), c.data.size() * sizeof(float));
  e_.nativeBytes_ += md.get_size();
  return Ref{-1, md, m};
}

Ref Builder::constAs(const ConstS &c, const Dims &d, const md_t &want, const char *field) {
  Ref r = constMem(c, d, field);
  if (r.md == want) return r;
  dnnl::memory m(want, e_.eng_);
  dnnl::reorder(r.cmem, m).execute(strm_, r.cmem, m);
  strm_.wait();
  e_.nativeBytes_ += want.get_size();
  return Ref{-1, want, m};
}

dnnl::primitive_attr Builder::attrWith(const PostOpPlan *pp) const {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (pp != nullptr) a.set_post_ops(pp->ops);
  return a;
}

void Builder::addReorder(const Ref &from, const Ref &to) {
  dnnl::reorder::primitive_desc pd(e_.eng_, from.md, e_.eng_, to.md, attrWith(nullptr));
  addStep(dnnl::reorder(pd), pd.scratchpad_desc(), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
}

void Builder::addStep(const dnnl::primitive &p, const md_t &scratch, std::vector<std::pair<int, Ref>> args) {
  if (scratch.get_size() > 0) {
    args.push_back({DNNL_ARG_SCRATCHPAD, Ref{-2, scratch, {}}});
    if (scratch.get_size() > scratchBytes_) scratchBytes_ = scratch.get_size();
  }
  std::string label = opIndex_ < 0 ? std::string("output copy") : "op " + std::to_string(opIndex_) + " (" + opKind_ + ")";
  e_.steps_.push_back(Step{p, {}, label});
  pending_.push_back(std::move(args));
}

PostOpPlan Builder::planPostOps(const std::vector<PostOpS> &pos, const Dims &dd, const std::vector<Elt> &prefix,
                                const std::function<md_t(int)> &binaryView) {
  PostOpPlan pp;
  int idx = 0;
  for (const Elt &e : prefix) {
    pp.ops.append_eltwise(1.f, e.alg, e.alpha, e.beta);
    ++idx;
  }
  std::vector<std::string> seen;
  for (const Elt &e : prefix) seen.push_back("e" + std::to_string(static_cast<int>(e.alg)));
  for (size_t i = 0; i < pos.size(); ++i) {
    const PostOpS &p = pos[i];
    const std::string where = "postOps[" + std::to_string(i) + "]";
    std::vector<Elt> elts;
    std::vector<std::string> keys;
    if (p.kind == PostOpS::Eltwise) {
      elts = eltwiseAlgs(p.alg, p.alpha, p.beta);
      for (const Elt &e : elts) keys.push_back("e" + std::to_string(static_cast<int>(e.alg)));
    } else {
      keys.push_back(p.kind == PostOpS::Sum ? std::string("sum") : "b" + p.alg);
    }
    bool repeat = false;
    for (const std::string &k : keys)
      for (const std::string &q : seen) repeat = repeat || k == q;
    if (repeat) {  // this and every later post-op run as separate in-place primitives
      pp.rest.assign(pos.begin() + static_cast<std::ptrdiff_t>(i), pos.end());
      break;
    }
    seen.insert(seen.end(), keys.begin(), keys.end());
    if (p.kind == PostOpS::Eltwise) {
      if (p.scale != 1.f && elts.size() != 1) fail(where + ": a scale needs a single-primitive eltwise alg");
      for (const Elt &e : elts) {
        pp.ops.append_eltwise(p.scale, e.alg, e.alpha, e.beta);
        ++idx;
      }
      continue;
    }
    checkTensor(p.tensor, (where + ".tensor").c_str());
    const Dims &td = dims(p.tensor);
    if (p.kind == PostOpS::Sum) {
      if (td != dd) fail(where + ": sum tensor dims differ from dst dims");
      if (p.zeroPoint != 0) {  // int8: dst += scale * (tensor - zero point)
        if (tensorDt(p.tensor) != dt::u8 && tensorDt(p.tensor) != dt::s8) fail(where + ": a sum zero point needs a u8 or s8 tensor");
        pp.ops.append_sum(p.scale, p.zeroPoint);
      } else {
        pp.ops.append_sum(p.scale);
      }
      pp.sumTensor = p.tensor;
    } else {
      if (td.size() != dd.size()) fail(where + ": binary tensor rank differs from dst rank");
      for (size_t k = 0; k < td.size(); ++k)
        if (td[k] != dd[k] && td[k] != 1) fail(where + ": binary tensor dims do not broadcast to dst dims");
      Ref r = getAs(p.tensor, plainOf(p.tensor, dt::f32));
      md_t view = binaryView ? binaryView(p.tensor) : r.md;
      pp.ops.append_binary(binaryAlg(p.alg), view);
      pp.binds.push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(idx) | DNNL_ARG_SRC_1, Ref{r.slot, view, {}}});
    }
    ++idx;
  }
  return pp;
}

Ref Builder::produceWithSum(int t, const md_t &md, const PostOpPlan &pp) {
  const int s = pp.sumTensor;
  const OpS &op = spec_.ops[opIndex_];
  bool readElsewhere = op.src == s || op.a == s || op.b == s;  // the primitive itself reads it
  for (int u : op.srcs) readElsewhere = readElsewhere || u == s;
  int sums = 0;
  for (const PostOpS &p : op.postOps) {
    if (p.tensor == s && p.kind != PostOpS::Sum) readElsewhere = true;
    if (p.tensor == s && p.kind == PostOpS::Sum) ++sums;
  }
  if (s >= 0 && !readElsewhere && sums == 1 && ts_[s].ready && lastUse_[s] <= opIndex_ && ts_[s].md == md &&
      e_.slots_[ts_[s].slot].kind == Slot::Internal && !ts_[t].ready) {
    bool shared = false;  // another tensor (a reshape view) still reading the same bytes later
    for (size_t u = 0; u < ts_.size(); ++u)
      if (static_cast<int>(u) != s && ts_[u].ready && ts_[u].slot == ts_[s].slot && lastUse_[u] > opIndex_) shared = true;
    if (!shared) {
      ts_[t] = TState{true, ts_[s].slot, md};
      return Ref{ts_[s].slot, md, {}};
    }
  }
  Ref dst = produce(t, md);
  if (s >= 0) addReorder(cur(s), dst);
  return dst;
}

dt Builder::actDt(int t) const {
  if (cdt_ != dt::bf16) return dt::f32;
  for (int o : spec_.outputs)
    if (o == t) return dt::f32;
  return dt::bf16;
}

void Builder::applySeparately(int t, const std::vector<PostOpS> &pos) {
  for (size_t i = 0; i < pos.size(); ++i) {
    const PostOpS &p = pos[i];
    Ref d = cur(t);
    if (p.kind == PostOpS::Eltwise && p.scale != 1.f) fail("postOps[" + std::to_string(i) + "]: an eltwise with a scale cannot run as a separate primitive");
    if (p.kind == PostOpS::Eltwise) {
      for (const Elt &e : eltwiseAlgs(p.alg, p.alpha, p.beta)) {
        dnnl::eltwise_forward::primitive_desc pd(
            dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, e.alg, d.md, e.alpha, e.beta),
            attrWith(nullptr), e_.eng_);
        addStep(dnnl::eltwise_forward(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC, d}, {DNNL_ARG_DST, d}});
      }
      continue;
    }
    checkTensor(p.tensor, "postOps.tensor");
    const Dims &td = dims(p.tensor);
    if (td.size() != dims(t).size()) fail("postOps[" + std::to_string(i) + "]: tensor rank differs from dst rank");
    Ref s1 = td == dims(t) ? getAs(p.tensor, d.md) : getAs(p.tensor, plainOf(p.tensor, dt::f32));
    dnnl::primitive_attr a = attrWith(nullptr);
    dnnl::algorithm alg = dnnl::algorithm::binary_add;
    if (p.kind == PostOpS::Sum) {
      if (td != dims(t)) fail("postOps[" + std::to_string(i) + "]: sum tensor dims differ from dst dims");
      if (p.zeroPoint != 0) fail("postOps[" + std::to_string(i) + "]: a sum with a zero point cannot run as a separate primitive");
      if (p.scale != 1.f) a.set_scales(DNNL_ARG_SRC_1, 0, {p.scale});
    } else {
      alg = binaryAlg(p.alg);
    }
    dnnl::binary::primitive_desc pd(dnnl::binary::desc(alg, d.md, s1.md, d.md), a, e_.eng_);
    addStep(dnnl::binary(pd), pd.scratchpad_desc(), {{DNNL_ARG_SRC_0, d}, {DNNL_ARG_SRC_1, s1}, {DNNL_ARG_DST, d}});
  }
}

void Builder::build() {
  const size_t nIn = spec_.inputs.size(), nOut = spec_.outputs.size();
  ts_.assign(spec_.tensors.size(), TState{});
  outClaimed_.assign(nOut, false);
  for (size_t i = 0; i < nIn; ++i) e_.slots_.push_back(Slot{Slot::Input, static_cast<int>(i), 0});
  for (size_t j = 0; j < nOut; ++j) e_.slots_.push_back(Slot{Slot::Output, static_cast<int>(j), 0});
  for (size_t i = 0; i < nIn; ++i) {
    int t = spec_.inputs[i];
    if (ts_[t].ready) fail("inputs lists tensor " + std::to_string(t) + " twice");
    ts_[t] = TState{true, static_cast<int>(i), plainOf(t)};
  }
  lastUse_.assign(spec_.tensors.size(), -1);
  readers_.assign(spec_.tensors.size(), 0);
  for (size_t i = 0; i < spec_.ops.size(); ++i) {
    const OpS &op = spec_.ops[i];
    auto use = [&](int t) {
      if (t < 0 || t >= static_cast<int>(lastUse_.size())) return;
      if (lastUse_[t] != static_cast<int>(i)) ++readers_[t];
      lastUse_[t] = static_cast<int>(i);
    };
    use(op.src);
    use(op.a);
    use(op.b);
    for (int t : op.srcs) use(t);
    for (const PostOpS &p : op.postOps) use(p.tensor);
  }
  for (int t : spec_.outputs) {
    lastUse_[t] = 0x7fffffff;
    readers_[t] += 2;  // an output is read outside the engine
  }
  for (size_t i = 0; i < spec_.ops.size(); ++i) {
    const OpS &op = spec_.ops[i];
    opIndex_ = static_cast<int>(i);
    opKind_ = op.kind;
    try {
      if (op.kind == "conv") conv(op);
      else if (op.kind == "matmul") matmul(op);
      else if (op.kind == "pool") pool(op);
      else if (op.kind == "eltwise") eltwise(op);
      else if (op.kind == "binary") binary(op);
      else if (op.kind == "softmax") softmax(op);
      else if (op.kind == "layernorm") layernorm(op);
      else if (op.kind == "batchnorm") batchnorm(op);
      else if (op.kind == "concat") concat(op);
      else if (op.kind == "transpose") transpose(op);
      else if (op.kind == "reshape") reshape(op);
      else if (op.kind == "reduce") reduce(op);
      else if (op.kind == "quantize" || op.kind == "dequantize") quantize(op);
      else fail("unknown op kind");
    } catch (const dnnl::error &err) {
      fail(std::string("oneDNN could not create the primitive: ") + err.what());
    }
  }
  opIndex_ = -1;
  for (size_t j = 0; j < nOut; ++j) {
    int t = spec_.outputs[j];
    if (!ts_[t].ready) fail("output " + std::to_string(j) + " (tensor " + std::to_string(t) + ") is never produced");
    int outSlot = static_cast<int>(nIn + j);
    if (ts_[t].slot != outSlot) {
      try {
        addReorder(cur(t), Ref{outSlot, plainOf(t), {}});
      } catch (const dnnl::error &err) {
        fail("output " + std::to_string(j) + ": oneDNN reorder failed: " + err.what());
      }
    }
  }
  // Allocate internal buffers and the scratchpad; bind memory objects.
  assignBuffers(pending_);
  if (scratchBytes_ > 0) {
    size_t n = (scratchBytes_ + 63) / 64 * 64;
    e_.scratch_ = std::aligned_alloc(64, n);
    if (e_.scratch_ == nullptr) throw SpecError("out of memory allocating the scratchpad");
    e_.nativeBytes_ += n;
  }
  for (size_t k = 0; k < e_.steps_.size(); ++k) {
    for (auto &[arg, ref] : pending_[k]) {
      dnnl::memory m;
      if (ref.slot == -1) {
        m = ref.cmem;
      } else if (ref.slot == -2) {
        m = dnnl::memory(ref.md, e_.eng_, e_.scratch_);
      } else if (e_.slots_[ref.slot].kind == Slot::Internal) {
        m = dnnl::memory(ref.md, e_.eng_, e_.buffers_[ref.slot]);
      } else {
        m = dnnl::memory(ref.md, e_.eng_, nullptr);
        const Slot &sl = e_.slots_[ref.slot];
        e_.edges_.push_back(EdgeMem{m, sl.kind == Slot::Output, sl.index});
      }
      e_.steps_[k].args[arg] = m;
    }
  }
}

}  // namespace optiflow
