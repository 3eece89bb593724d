#pragma once
// A labelled image set: float pixels in [0, 1], one image per row.
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace mortal {

struct Dataset {
  Mat images;               // (count, rows * cols), values in [0, 1]
  std::vector<int> labels;  // count entries in [0, num_classes)
  int num_classes = 0;
  int rows = 0, cols = 0;   // image shape

  int size() const { return static_cast<int>(labels.size()); }
  int features() const { return static_cast<int>(images.cols()); }

  // The examples at `idx`, in that order.
  Dataset subset(const std::vector<int>& idx) const;
  Dataset head(int n) const;
};

struct IdxArray;

// Pairs an IDX image array (count, rows[, cols...]) with its label array (count): at least one example,
// at least one row and column per image, every label < num_classes. Errors name the array's file (the
// `*_name`), the header field and its value.
Dataset pair_idx(const IdxArray& images, const std::string& images_name, const IdxArray& labels,
                 const std::string& labels_name, int num_classes);

// Reads an IDX image file and its label file (plain or gzip) and pairs them as pair_idx does.
Dataset load_idx_pair(const std::string& images_path, const std::string& labels_path, int num_classes);

// MNIST from `dir` holding the original file names, `split` "train" or "t10k". A missing file is looked
// for with a .gz suffix too.
Dataset load_mnist(const std::string& dir, const std::string& split);

// The paths load_mnist reads from `dir`: train images, train labels, t10k images, t10k labels.
std::vector<std::string> mnist_files(const std::string& dir);

// What identifies a data file wherever it lies: its name without the folder, its size, and the CRC-32 of
// its bytes as stored (a compressed file is digested compressed).
struct FileDigest {
  std::string name;
  std::uint64_t bytes = 0;
  std::string crc32;  // 8 lowercase hex digits
};
FileDigest file_digest(const std::string& path);

// The digests of `paths` in one line, "name bytes crc32" per file joined by ", ": equal for the same
// files in another folder, different when any byte, size or name differs.
std::string data_digest(const std::vector<std::string>& paths);

// The examples at rows[0 .. n) of `d`: their images into the first n rows of `images` (sized by the caller),
// their labels into `labels` (resized to n). A batch gathered in a shuffled order.
void gather_examples(const Dataset& d, const int* rows, int n, MatRef images, std::vector<int>& labels);

// A permutation of 0..n-1 decided by the seed alone (Fisher-Yates on the run's random stream).
std::vector<int> shuffled_indices(int n, std::uint64_t seed);

struct Split {
  Dataset train, validation;
};
// Shuffles with the seed, then holds out the first `validation_count` examples.
Split split_validation(const Dataset& d, int validation_count, std::uint64_t seed);

}  // namespace mortal
