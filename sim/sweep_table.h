#pragma once
// A sweep's results.csv: one row per finished run, appended and fsynced before the next run is claimed,
// so a crash, kill -9 or power cut loses at most the runs still going. A row is one line ending in '\n'
// (fields never hold a newline): a line without its '\n' is a torn write, dropped when the table is
// opened again. Columns are the fixed ones, then the metrics in name order; a run bringing a metric no
// row had yet widens the header by rewriting the file whole (atomically), which happens about once.
#include <map>
#include <string>
#include <vector>

namespace mortal {

using CsvRow = std::map<std::string, std::string>;  // column -> value; an absent column is empty

// RFC 4180 fields: quoted when they hold a comma, quote, CR or LF, quotes doubled.
std::string csv_field(const std::string& s);
std::string csv_line(const std::vector<std::string>& fields);  // with the trailing '\n'
// Splits one CSV record (quotes honoured). Throws Error on an unterminated quote.
std::vector<std::string> csv_split(const std::string& line);

class SweepTable {
 public:
  // Opens `path` (created with `fixed` as its header when absent), drops a torn last line (saying so on
  // stderr), and refuses a header whose first columns are not `fixed`.
  SweepTable(std::string path, std::vector<std::string> fixed);

  // Rereads the file: another process (a job-array task) may have appended. Callers hold lock().
  void reload();
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }
  bool has(const std::string& key_column_values) const { return keys_.count(key_column_values) != 0; }
  // The key of a row: its point and replica ("3-1").
  static std::string key(const CsvRow& row);

  // Appends `row` durably (written, fsynced; the header widened first if it brings new columns).
  void append(const CsvRow& row);

  // An exclusive lock on `path`.lock for as long as the returned object lives: the processes of a job
  // array append to one table in turn.
  class Lock {
   public:
    explicit Lock(const std::string& path);
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    int fd_ = -1;
  };
  Lock lock() const { return Lock(path_ + ".lock"); }

 private:
  void rewrite();

  std::string path_;
  std::vector<std::string> fixed_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
  std::map<std::string, int> keys_;
};

}  // namespace mortal
