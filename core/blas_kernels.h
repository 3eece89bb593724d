#pragma once
// Which kernels OpenBLAS runs the float products on. OpenBLAS (built for every x86-64 generation, as Debian's
// is) picks them by the CPU's model number when it loads; a model newer than the library knows gets its oldest
// set (Prescott: SSE3), about four times slower on 784-4x2000 than the AVX-512 set the same CPU runs (bench/
// README.md, "BLAS kernels"). The choice is made before main runs, from the environment variable
// OPENBLAS_CORETYPE, so a program corrects it by starting again with the variable set.
#include <string>

namespace mortal {

// The kernel set OpenBLAS runs on ("SkylakeX", "Haswell", ...), or "" when the BLAS is not OpenBLAS.
std::string blas_kernels();

// The kernel set a CPU's features call for when OpenBLAS took it for a Prescott: SkylakeX with AVX-512
// (F, CD, BW, DQ, VL), Haswell with AVX2 and FMA, else "" (Prescott is right).
std::string blas_kernels_for(bool avx512, bool avx2_fma);

// At the top of main: with OpenBLAS on its Prescott kernels on a CPU blas_kernels_for finds more for, and
// OPENBLAS_CORETYPE not set, sets it and executes this program again with the same arguments (the process
// and its id stay; nothing has run yet). Returns when there is nothing to correct, or when the program cannot
// be executed again (it then runs on as it is, and says so on stderr).
void restart_with_blas_kernels(char** argv);

}  // namespace mortal
