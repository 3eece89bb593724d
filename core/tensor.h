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

}  // namespace mortal
