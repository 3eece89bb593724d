#pragma once
// Supervised FF inputs: the label written into the first pixels of the image (paper section 3.3), and the
// choice of the wrong label that makes a negative example.
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace mortal {

struct LabelCoding {
  int classes = 10;
  float value = 1.0f;    // written at the label's pixel; the other label pixels become 0
  float neutral = 0.1f;  // every label pixel of the neutral input (paper: 0.1)
  void validate(int features) const;
};

// out = images with the first `classes` pixels replaced by the one-hot label.  images, out: (n, features)
// out may alias images.
void overlay_labels(MatRef out, ConstMatRef images, const std::vector<int>& labels, const LabelCoding& coding);
// The same label for every row.
void overlay_label(MatRef out, ConstMatRef images, int label, const LabelCoding& coding);
// Every label pixel set to coding.neutral.
void overlay_neutral(MatRef out, ConstMatRef images, const LabelCoding& coding);

// A label drawn uniformly from the classes - 1 labels that are not `true_label`.
int random_wrong_label(int true_label, int classes, Rng& rng);

// A wrong label drawn with probability proportional to `probs` over the labels other than `true_label`
// (uniform if those all are 0). probs: (classes), nonnegative.
int sample_wrong_label(const float* probs, int true_label, int classes, Rng& rng);
// The same in proportion to the softmax of `logits` (classes): hard negatives from a read-out's logits.
int sample_wrong_label_by_logits(const float* logits, int true_label, int classes, Rng& rng);

// For every row of `scores` (n, classes): the column of the largest score (ties: the first).
std::vector<int> argmax_rows(ConstMatRef scores);

// random and hard: a wrong label on the image (supervised); hybrid: no label, two images mixed by a blurred
// random mask (unsupervised, model/hybrid_images.h).
enum class NegativeKind { random, hard, hybrid };
std::string to_string(NegativeKind kind);
NegativeKind parse_negative(const std::string& name);  // "random", "hard" or "hybrid"

}  // namespace mortal
