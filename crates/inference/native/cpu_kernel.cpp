// An MLX primitive whose CPU evaluation runs a kernel written in Rust.
//
// MLX's own CPU kernels for some operations (affine-quantized products) are scalar loops. A
// primitive of our own keeps a faster kernel inside MLX's lazy graph: it is scheduled on the
// CPU stream's thread in order with every other operation, so a decoding step still runs as
// one evaluation, with no round trip to the host per layer. The kernel receives row-major
// views of its inputs (data, dtype, shape, strides in elements) and a preallocated output.

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "mlx/allocator.h"
#include "mlx/array.h"
#include "mlx/backend/cpu/encoder.h"
#include "mlx/primitives.h"
#include "mlx/c/private/array.h"
#include "mlx/c/private/enums.h"
#include "mlx/c/private/stream.h"

namespace mx = mlx::core;

extern "C" {

struct MlxmTensor {
  void* data;
  int dtype;  // an mlx_dtype
  int ndim;
  const int32_t* shape;
  const int64_t* strides;
};

// Returns 0 on success; a non-zero code makes the evaluation fail.
typedef int (*MlxmKernel)(
    const int64_t* params,
    const MlxmTensor* inputs,
    size_t n_inputs,
    MlxmTensor* output);

}  // extern "C"

namespace {

thread_local std::string last_error;

class RustKernel : public mx::UnaryPrimitive {
 public:
  RustKernel(
      mx::Stream stream,
      MlxmKernel kernel,
      std::string name,
      std::vector<int64_t> params)
      : mx::UnaryPrimitive(stream),
        kernel_(kernel),
        name_(std::move(name)),
        params_(std::move(params)) {}

  void eval_cpu(const std::vector<mx::array>& inputs, mx::array& out) override {
    auto& encoder = mx::cpu::get_command_encoder(stream());
    out.set_data(mx::allocator::malloc(out.nbytes()));
    std::vector<mx::array> views;
    for (auto& in : inputs) {
      encoder.set_input_array(in);
      views.push_back(mx::array::unsafe_weak_copy(in));
    }
    encoder.set_output_array(out);
    encoder.dispatch([kernel = kernel_,
                      name = name_,
                      params = params_,
                      inputs = std::move(views),
                      out = mx::array::unsafe_weak_copy(out)]() mutable {
      std::vector<std::vector<int32_t>> shapes;
      std::vector<std::vector<int64_t>> strides;
      std::vector<MlxmTensor> tensors;
      for (auto& in : inputs) {
        shapes.emplace_back(in.shape().begin(), in.shape().end());
        strides.emplace_back(in.strides().begin(), in.strides().end());
      }
      for (size_t i = 0; i < inputs.size(); i++) {
        tensors.push_back(MlxmTensor{
            inputs[i].data<char>(),
            static_cast<int>(mlx_dtype_to_c(inputs[i].dtype())),
            static_cast<int>(inputs[i].ndim()),
            shapes[i].data(),
            strides[i].data()});
      }
      std::vector<int32_t> out_shape(out.shape().begin(), out.shape().end());
      std::vector<int64_t> out_strides(out.strides().begin(), out.strides().end());
      MlxmTensor output{
          out.data<char>(),
          static_cast<int>(mlx_dtype_to_c(out.dtype())),
          static_cast<int>(out.ndim()),
          out_shape.data(),
          out_strides.data()};
      if (kernel(params.data(), tensors.data(), tensors.size(), &output) != 0) {
        throw std::runtime_error("[" + name + "] the kernel failed");
      }
    });
  }

  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("[" + name_ + "] runs on the CPU only");
  }

  const char* name() const override {
    return name_.c_str();
  }

 private:
  MlxmKernel kernel_;
  std::string name_;
  std::vector<int64_t> params_;
};

}  // namespace

extern "C" {

// The message of the last failed `mlxm_cpu_kernel` call on this thread.
const char* mlxm_last_error() {
  return last_error.c_str();
}

// A new lazy array of `shape` and `dtype` computed from `inputs` by `kernel` on `stream`,
// which must be a CPU stream. Returns 0 and sets `*result`, or 1 (see `mlxm_last_error`).
int mlxm_cpu_kernel(
    mlx_array* result,
    MlxmKernel kernel,
    const char* name,
    const int64_t* params,
    size_t n_params,
    const mlx_array* inputs,
    size_t n_inputs,
    const int32_t* shape,
    size_t ndim,
    mlx_dtype dtype,
    mlx_stream stream) {
  try {
    auto s = mlx_stream_get_(stream);
    if (s.device != mx::Device::cpu) {
      throw std::invalid_argument("the stream is not a CPU stream");
    }
    std::vector<mx::array> arrays;
    for (size_t i = 0; i < n_inputs; i++) {
      arrays.push_back(mlx_array_get_(inputs[i]));
    }
    mx::array out(
        mx::Shape(shape, shape + ndim),
        mlx_dtype_to_cpp(dtype),
        std::make_shared<RustKernel>(
            s, kernel, name, std::vector<int64_t>(params, params + n_params)),
        std::move(arrays));
    mlx_array_set_(*result, std::move(out));
    return 0;
  } catch (const std::exception& e) {
    last_error = e.what();
    return 1;
  }
}

}  // extern "C"
