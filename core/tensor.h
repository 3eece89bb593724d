#pragma once
// Matrix vocabulary. A batch of vectors is a matrix whose rows are the vectors (row = sample, or one
// time step on the chip), so row-major storage keeps a sample contiguous.
#include <Eigen/Core>

namespace mortal {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXf;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using MatRef = Eigen::Ref<Mat>;
using ConstMatRef = const Eigen::Ref<const Mat>&;
using ConstVecRef = const Eigen::Ref<const Vec>&;

// A rows x cols matrix in `storage`, which is resized only when too small: a work buffer used at several
// shapes (a write of n rows for several n, a batch and a single row) reallocates nothing once it has held
// the largest. The view is contiguous and starts where `storage` does, as a plain matrix of its shape would.
inline Eigen::Map<Mat> grown_view(Mat& storage, Eigen::Index rows, Eigen::Index cols) {
  if (storage.size() < rows * cols) storage.resize(rows, cols);
  return Eigen::Map<Mat>(storage.data(), rows, cols);
}

}  // namespace mortal
