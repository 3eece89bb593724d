#pragma once

namespace mortal {
// `git describe --always --dirty --tags` of the source tree this binary was built from.
const char* version();
}
