#pragma once
// What an FF trainer learns from, batch by batch: for every image two overlays (the image with a label
// written in), each with the probability that it is positive data. Labelled FF (Hinton 2022): the true
// label with probability 1 and a random wrong one with 0. A distilling student (sim/distill.h) learns from
// a teacher's probabilities over images that carry no label: its supervision is built from
// UnlabelledImages, a type with no labels in it, so the student's trainer has none to reach.
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "model/dataset.h"
#include "model/hybrid_images.h"

namespace mortal {

// One overlay of an image: the label written in, and the probability that the overlay is positive data
// (the target of the layers' sigmoid units). A supervision may give every layer its own target instead
// (FFSupervision::target_layers): layer k then learns towards layers[k]. Unsupervised FF writes no label
// (FFSupervision::labels_written) and gives its negative an image of its own.
struct Overlay {
  int label = 0;
  float target = 0;
  std::vector<float> layers;  // empty: `target` for every layer
  float weight = 1;           // the share of the step the overlay takes: its row's delta scaled by it
  RowVec image = RowVec();    // empty: the supervision's image itself
};

class FFSupervision {
 public:
  virtual ~FFSupervision() = default;
  // One image per row, pixels in [0, 1].
  virtual const Mat& images() const = 0;
  virtual int classes() const = 0;
  int size() const { return int(images().rows()); }
  int features() const { return int(images().cols()); }
  // The positive and the negative overlay of image i; what is random is drawn from rng, in that order.
  virtual void overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const = 0;
  // How many overlays of every image a batch carries: two by default, a positive and a negative; a
  // supervision may give one for every label instead (each with its own target).
  virtual int overlays_per_image() const { return 2; }
  // All overlays of image i, overlays_per_image() of them; by default the positive and the negative above.
  virtual void overlays(int i, Rng& rng, std::vector<Overlay>& out) const {
    out.resize(2);
    overlays(i, rng, out[0], out[1]);
  }
  // How many layers' targets every overlay carries (Overlay::layers); 0: one target for all layers.
  virtual int target_layers() const { return 0; }
  // Whether overlays carry weights other than 1 (Overlay::weight): a trainer scales its rows' deltas then.
  virtual bool weighted() const { return false; }
  // Whether each overlay's label is written into its image; false: no label enters the net (Overlay::label
  // is not read).
  virtual bool labels_written() const { return true; }
};

// Supervised FF from labelled images: the true label (1) and a wrong label drawn uniformly (0).
class LabelSupervision final : public FFSupervision {
 public:
  explicit LabelSupervision(const Dataset& d) : d_(d) {}
  const Mat& images() const override { return d_.images; }
  int classes() const override { return d_.num_classes; }
  void overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const override;

 private:
  const Dataset& d_;
};

// Unsupervised FF (Hinton 2022, section 3.2) from images whose labels it never reads: the image as it is
// (1) and a hybrid of it with another image of the set (0), mixed by a fresh blurred mask
// (model/hybrid_images.h). Its draws are those of the digital trainer's hybrid_negatives, image by image, so
// a chip and the digital reference of one seed see the same negatives.
class HybridSupervision final : public FFSupervision {
 public:
  HybridSupervision(const Mat& images, int classes, const HybridMaskParams& masks);
  const Mat& images() const override { return images_; }
  int classes() const override { return classes_; }
  void overlays(int i, Rng& rng, Overlay& positive, Overlay& negative) const override;
  bool labels_written() const override { return false; }

 private:
  const Mat& images_;
  int classes_;
  mutable HybridMasks masks_;  // its scratch buffers change as it draws
};

// Images without their labels.
struct UnlabelledImages {
  Mat images;  // one image per row
  int num_classes = 0;

  // The images of d at idx, in that order (all of them when idx is empty); the labels are left behind.
  static UnlabelledImages of(const Dataset& d, const std::vector<int>& idx = {});
  int size() const { return int(images.rows()); }
};

}  // namespace mortal
