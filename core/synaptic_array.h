#pragma once
// The meeting point of learning rules (model/) and hardware (hw/): a weight matrix W of shape (out, in)
// that can only be used, not read. A learning rule sees what the hardware would let it see: products
// with W and outer-product updates. Reading W back is an explicit, costed operation (an ADC on a chip).
#include "core/tensor.h"

namespace mortal {

class SynapticArray {
 public:
  virtual ~SynapticArray() = default;

  virtual int inputs() const = 0;   // columns of W
  virtual int outputs() const = 0;  // rows of W

  // z = x W^T.  x: (batch, in), z: (batch, out)
  virtual void forward(MatRef z, ConstMatRef x) = 0;

  // W += lr * d^T x.  x: (batch, in), d: (batch, out)
  virtual void update(ConstMatRef x, ConstMatRef d, float lr) = 0;

  // w: (out, in), the weights as the array would report them if read out completely.
  virtual void read_weights(MatRef w) = 0;
};

}  // namespace mortal
