// Builder: turns a validated SpecS into an Engine's steps (internal to the addon).
#pragma once

#include <functional>
#include <utility>

#include "engine.h"

namespace optiflow {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using md_t = dnnl::memory::desc;

// A value a primitive reads: a slot viewed with a desc, or a constant (slot -1, mem owns data).
struct Ref {
  int slot = -1;
  md_t md;
  dnnl::memory cmem;
};

struct Elt {
  dnnl::algorithm alg;
  float alpha, beta;
};

// Post-ops of a primitive: the attr list, binary operand binds, and the tensor a sum reads.
struct PostOpPlan {
  dnnl::post_ops ops;
  std::vector<std::pair<int, Ref>> binds;  // (arg, ref)
  int sumTensor = -1;
  // Post-ops not fused (from the first one that would repeat an algorithm: oneDNN 2.6 computes
  // e.g. two `linear` eltwise post-ops of one primitive wrongly); applied in place afterwards.
  std::vector<PostOpS> rest;
};

Dims rowMajorStrides(const Dims &d);
md_t plainMd(const Dims &dims, dt t);
std::vector<Elt> eltwiseAlgs(const std::string &name, float alpha, float beta);
dnnl::algorithm binaryAlg(const std::string &name);
int64_t product(const Dims &d);

class Builder {
 public:
  Builder(const SpecS &s, Engine &e);
  void build();

 private:
  struct TState {
    bool ready = false;
    int slot = -1;
    md_t md;
  };
  struct Conv {
    int tensor;
    md_t md;
    int slot;
  };

  // ops (builder-ops.cc)
  void conv(const OpS &op);
  void matmul(const OpS &op);
  void pool(const OpS &op);
  void eltwise(const OpS &op);
  void binary(const OpS &op);
  void softmax(const OpS &op);
  void layernorm(const OpS &op);
  void batchnorm(const OpS &op);
  void concat(const OpS &op);
  void transpose(const OpS &op);
  void reshape(const OpS &op);
  void reduce(const OpS &op);
  // int8 (builder-int8.cc)
  void quantize(const OpS &op);  // quantize and dequantize: a reorder with scales and a zero point
  // Output scales and src/dst zero points of an int8 conv/matmul (scaleMask: the dst dim of the
  // per-channel scales); the zero points are runtime values bound by int8Args.
  void int8Attr(const OpS &op, dnnl::primitive_attr &a, int scaleMask) const;
  void int8Args(const OpS &op, std::vector<std::pair<int, Ref>> &args);
  // An s8 constant (weights holding integers -128..127) in layout `want`.
  Ref constS8(const ConstS &c, const Dims &dims, const md_t &want, const char *field);
  Ref s32Scalar(int32_t v);
  // depthwise fusion of a conv (builder-binary.cc): validates and returns the 1x1 conv's dst dims;
  // appends the depthwise post-op and its own post-ops; binds its weights and bias.
  Dims dwCheck(const OpS &op, const Dims &sd, const Dims &wd) const;
  void dwPostOps(const OpS &op, PostOpPlan &pp, dt wT, dt dT);
  void dwArgs(const OpS &op, const dnnl::convolution_forward::primitive_desc &pd, std::vector<std::pair<int, Ref>> &args);
  // The pair as two primitives (the 1x1 output in an engine buffer): where oneDNN's only fused
  // implementation is its reference one (ref_fused_convolution), which is slower than the two.
  void dwSplit(const OpS &op, const md_t &srcAny, const md_t &wAny, const md_t &pwDstAny, const md_t &biasMd, const Dims &wdn, dt dT);

  // helpers (builder.cc)
  [[noreturn]] void fail(const std::string &msg) const;
  const Dims &dims(int t) const;
  dt actDt(int t) const;  // data type of conv outputs: bf16 inside a bf16 engine, f32 at its edges
  dt tensorDt(int t) const;
  md_t plainOf(int t, dt type) const { return plainMd(dims(t), type); }
  md_t plainOf(int t) const { return plainOf(t, tensorDt(t)); }
  void checkTensor(int t, const char *field) const;
  bool stridedF32(int t) const;  // t's current layout is f32 without channel blocks (plain or permuted strides)
  int newSlot(size_t bytes);
  Ref cur(int t);
  Ref getAs(int t, const md_t &want);
  Ref produce(int t, const md_t &md);
  // Reorders tensor t into its plain layout (NCHW...) when an op left it in another one; later
  // readers see the plain tensor (`plainOutput` convolutions: the model's layout between ops).
  void settlePlain(int t);
  Ref constMem(const ConstS &c, const Dims &dims, const char *field);
  Ref constAs(const ConstS &c, const Dims &dims, const md_t &want, const char *field);
  Ref tempSlot(const md_t &md);
  void addReorder(const Ref &from, const Ref &to);
  void addStep(const dnnl::primitive &p, const md_t &scratch, std::vector<std::pair<int, Ref>> args);
  PostOpPlan planPostOps(const std::vector<PostOpS> &pos, const Dims &dstDims, const std::vector<Elt> &prefix,
                         const std::function<md_t(int)> &binaryView);
  // Produces dst for a primitive with post-ops: when a sum post-op reads a tensor that no later op
  // reads, dst takes over that tensor's buffer (in place); otherwise the tensor is copied into dst.
  Ref produceWithSum(int t, const md_t &md, const PostOpPlan &pp);
  void applySeparately(int t, const std::vector<PostOpS> &pos);
  dnnl::primitive_attr attrWith(const PostOpPlan *pp) const;
  void assignBuffers(const std::vector<std::vector<std::pair<int, Ref>>> &pending);

  const SpecS &spec_;
  Engine &e_;
  dnnl::stream strm_;
  std::vector<TState> ts_;
  std::vector<Conv> convs_;
  std::vector<bool> outClaimed_;
  std::vector<std::vector<std::pair<int, Ref>>> pending_;  // per step: args, bound to memory at the end
  std::vector<int> lastUse_;  // per tensor: last op index reading it (INT_MAX for outputs)
  std::vector<int> readers_;  // per tensor: number of ops reading it (outputs count extra)
  size_t scratchBytes_ = 0;
  int opIndex_ = -1;
  std::string opKind_;
  dt cdt_ = dt::f32;  // compute type of conv/matmul
};

}  // namespace optiflow
