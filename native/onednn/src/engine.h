// optiflow oneDNN addon: the C++ side of src/backends/onednn/spec.ts.
// Spec structs (parsed from the JS EngineSpec), the compiled Engine (a list of oneDNN primitive
// executions over numbered buffers) and its builder. No N-API types here: see addon.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <dnnl.hpp>

namespace optiflow {

using Dims = std::vector<int64_t>;

// A bad spec or a oneDNN failure, already worded for the user.
struct SpecError : std::runtime_error {
  explicit SpecError(const std::string &m) : std::runtime_error(m) {}
};

struct ConstS {
  bool present = false;
  Dims dims;
  std::vector<float> data;
};

struct PostOpS {
  enum Kind { Eltwise, Sum, Binary } kind = Eltwise;
  std::string alg;
  float alpha = 0, beta = 0, scale = 1;
  int tensor = -1;
  int32_t zeroPoint = 0;  // sum: the operand's zero point (u8/s8 tensors; int8 residual fold)
};

// One op of the spec; only the fields of its kind are set.
struct OpS {
  std::string kind;
  int src = -1, dst = -1, a = -1, b = -1;
  ConstS aC, bC, weights, bias, mean, variance, scale, shift;
  bool bTransposed = false, log = false, winograd = false, blocked = false, plainOutput = false;
  Dims strides, padsBegin, padsEnd, dilations, kernel, perm;
  int64_t groups = 1, axis = 0;
  std::vector<int> srcs;
  std::string alg;
  float alpha = 0, beta = 0, epsilon = 0;
  std::vector<PostOpS> postOps;
  // int8 (builder-int8.cc): conv/matmul with outputScales present run u8/s8 x s8 primitives;
  // quantize/dequantize are scaled reorders (scales per tensor or along `axis`).
  bool int8 = false;
  std::vector<float> outScales, scales, srcScales;  // srcScales: binary's src0/src1 scales (empty = none)
  int32_t srcZp = 0, dstZp = 0, zeroPoint = 0;
  // conv only: a fused depthwise 3x3 conv (oneDNN depthwise post-op) reading this 1x1 conv's
  // output; dst is then the depthwise conv's output.
  bool dw = false;
  ConstS dwWeights, dwBias;
  int64_t dwStride = 1;
  std::vector<PostOpS> dwPostOps;
};

struct TensorS {
  Dims dims;
  bool s32 = false;
  // 0 = f32 or s32 (see s32), 1 = u8, 2 = s8
  int q8 = 0;
};

struct SpecS {
  std::vector<TensorS> tensors;
  std::vector<int> inputs, outputs;
  std::vector<OpS> ops;
  bool bf16 = false;
  int threads = 0;
};

// Where a buffer lives: an engine-owned allocation, a run's input i or output i.
struct Slot {
  enum Kind { Internal, Input, Output } kind = Internal;
  int index = 0;
  size_t bytes = 0;
};

struct Step {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
  std::string label;  // "op 3 (conv)" or "output reorder"
};

// A memory object whose handle is a run's input or output buffer.
struct EdgeMem {
  dnnl::memory mem;
  bool output = false;
  int index = 0;
};

class Engine {
 public:
  Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;
  ~Engine();

  // Runs all steps with the given edge buffers. Serialized per engine by `mu`.
  // Throws SpecError with the failing op's index and kind.
  void execute(const std::vector<void *> &inputs, const std::vector<void *> &outputs);

  size_t nativeBytes() const { return nativeBytes_; }

 private:
  friend class Builder;
  friend std::shared_ptr<Engine> buildEngine(const SpecS &spec);
  dnnl::engine eng_;
  std::vector<Slot> slots_;
  std::vector<void *> buffers_;  // per slot, into owned_; nullptr for edge slots
  std::vector<void *> owned_;    // physical buffers, shared by slots whose lifetimes do not overlap
  std::vector<Step> steps_;
  std::vector<EdgeMem> edges_;
  void *scratch_ = nullptr;
  size_t nativeBytes_ = 0;
  int threads_ = 0;
  std::mutex mu_;
};

// Parses nothing: takes a validated SpecS and builds the primitives (throws SpecError).
std::shared_ptr<Engine> buildEngine(const SpecS &spec);

// Engines alive now (created and not yet freed), for leak checks.
int liveEngines();

// Number of OpenMP threads oneDNN uses when spec.threads is 0 (captured at load).
int defaultThreads();
void initThreads();

}  // namespace optiflow
